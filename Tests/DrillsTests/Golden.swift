import Foundation

/// The renderings and the JSON of ``Fixture/report(live:valveName:)`` and of an empty report, as they were before
/// park drills added plants: a report without plants must still render byte for byte the same.
enum Golden {
    static let fullHTML = #"""
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>演练 DRILL (实战演练 live) · 验证演练报告 Drill report · rain-outlet-shutoff</title>
        <style>
        body { font-family: "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em;
          color: #111; line-height: 1.45; }
        .banner { background: #b00020; color: #fff; font-weight: bold; padding: 0.4em 0.8em; letter-spacing: 0.05em; }
        h1 { font-size: 1.5em; margin: 0.4em 0; }
        h2 { font-size: 1.15em; border-bottom: 2px solid #333; padding-bottom: 0.15em; margin-top: 1.6em; }
        .mode { font-weight: bold; font-size: 1.1em; }
        .mode.live { color: #b00020; }
        .mode.tabletop { color: #0b5394; }
        .note { color: #444; font-size: 0.9em; }
        .none { color: #555; font-style: italic; }
        table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
        th, td { border: 1px solid #999; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
        th { background: #eee; }
        td.flag { background: #fde0e0; color: #8a0016; font-weight: bold; }
        @media print {
          body { margin: 0; }
          .banner, td.flag, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          tr { break-inside: avoid; }
        }
        </style>
        </head>
        <body>
        <p class="banner">演练 DRILL — 非真实事故 not a real incident</p>
        <h1>演练 DRILL (实战演练 live) · 验证演练报告 Drill report · rain-outlet-shutoff</h1>
        <p class="mode live">实战演练 Live drill on real equipment</p>
        <section>
        <h2>概况 Summary</h2>
        <table>
        <thead><tr><th>项目 Item</th><th>内容 Value</th></tr></thead>
        <tbody>
        <tr><td>演练编号 Drill id</td><td>drill-20250301-0800</td></tr>
        <tr><td>企业 Site</td><td>某某化工有限公司 (site-7)</td></tr>
        <tr><td>预案 Plan</td><td>rain-outlet-shutoff</td></tr>
        <tr><td>方式 Mode</td><td>实战演练 live</td></tr>
        <tr><td>发起人 Started by</td><td>张工</td></tr>
        <tr><td>原因 Reason</td><td>年度验证演练 annual drill</td></tr>
        <tr><td>开始 Started</td><td>2025-03-01 08:00:00.250</td></tr>
        <tr><td>结束 Finished</td><td>2025-03-01 08:30:05.750</td></tr>
        <tr><td>用时 Duration</td><td>30:05</td></tr>
        <tr><td>时区 Time zone</td><td>Asia/Shanghai (UTC+08:00)</td></tr>
        <tr><td>故障 Failures</td><td class="flag">1</td></tr>
        <tr><td>阀门动作 Valve strokes</td><td class="flag">3 (漂移 drifted: 1, 未确认 not confirmed: 1)</td></tr>
        <tr><td>报警 Alarms</td><td>2 (10 分钟峰值 peak per 10 min: 2)</td></tr>
        </tbody>
        </table>
        </section>
        <section>
        <h2>时间线 Timeline</h2>
        <p class="note">时间 Times: Asia/Shanghai (UTC+08:00)</p>
        <table>
        <thead><tr><th>时间 Time</th><th>类型 Kind</th><th>设备 Device</th><th>内容 Text</th></tr></thead>
        <tbody>
        <tr><td>2025-03-01 08:00:00.250</td><td>触发 trigger</td><td>—</td><td>一键关断 one-key shutoff</td></tr>
        <tr><td>2025-03-01 08:00:00.750</td><td>指令 command</td><td>rain-outlet-1</td><td>关闭雨水排口</td></tr>
        <tr><td>2025-03-01 08:00:34.950</td><td>确认 confirmed</td><td>rain-outlet-1</td><td>closed limit reached</td></tr>
        <tr><td>2025-03-01 08:02:00.250</td><td class="flag">失败 failed</td><td>pool-inlet</td><td>no open limit within 90 s</td></tr>
        <tr><td>2025-03-01 08:03:20.250</td><td>人工操作 manual action</td><td>pool-inlet</td><td>opened by hand</td></tr>
        <tr><td>2025-03-01 08:05:00.250</td><td>上报 escalation</td><td>—</td><td>park notified</td></tr>
        <tr><td>2025-03-01 08:28:20.250</td><td>复位 restore</td><td>rain-outlet-1</td><td>reopened</td></tr>
        </tbody>
        </table>
        </section>
        <section>
        <h2>阀门行程 Valve strokes</h2>
        <p class="note">漂移 Drift: measured &gt; 1.5 × baseline. 基准 Baseline: median of the last strokes when there are at least 3, otherwise the configured stroke time. Seconds.</p>
        <table>
        <thead><tr><th>阀门 Valve</th><th>动作 Operation</th><th>配置 Configured s</th><th>基准 Baseline s</th><th>实测 Measured s</th><th>比值 Ratio</th><th>判定 Flag</th></tr></thead>
        <tbody>
        <tr><td>雨水排口阀门 (rain-outlet-1)</td><td>关 close</td><td>20.0</td><td>18.1 中位数 median</td><td>34.2</td><td class="flag">×1.89</td><td class="flag">超时漂移 DRIFT</td></tr>
        <tr><td>罐区A围堰排水阀 (bund-a-drain)</td><td>关 close</td><td>15.0</td><td>15.0 配置 configured</td><td>14.8</td><td>×0.99</td><td>正常 OK</td></tr>
        <tr><td>事故池进水闸门 (pool-inlet)</td><td>开 open</td><td>90.0</td><td>90.0 配置 configured</td><td class="flag">未确认 not confirmed</td><td>—</td><td class="flag">未确认 not confirmed</td></tr>
        </tbody>
        </table>
        </section>
        <section>
        <h2>故障 Failures</h2>
        <ul>
        <li>事故池进水闸门未在 90 s 内到位 pool inlet did not open within 90 s</li>
        </ul>
        </section>
        <section>
        <h2>就地模式阀门 Valves in local mode</h2>
        <p class="note">手自一体开关在就地位置，远程无法操作 The hand/auto switch was in local: these cannot be commanded remotely.</p>
        <table>
        <thead><tr><th>阀门 Valve</th><th>位置 Location</th></tr></thead>
        <tbody>
        <tr><td class="flag">sewage-outlet</td><td>东门污水排口 east gate</td></tr>
        </tbody>
        </table>
        </section>
        <section>
        <h2>报警 Alarms</h2>
        <p class="note">10 分钟内最多报警数 Most alarms in any 10 minutes: 2</p>
        <table>
        <thead><tr><th>时间 Time</th><th>报警 Alarm</th><th>优先级 Priority</th><th>内容 Text</th></tr></thead>
        <tbody>
        <tr><td>2025-03-01 08:00:01.250</td><td>drill.trip</td><td>critical</td><td>演练关断 drill trip</td></tr>
        <tr><td>2025-03-01 08:02:00.250</td><td>pool-inlet.failed-to-move</td><td>critical</td><td>闸门未动作</td></tr>
        </tbody>
        </table>
        </section>
        <section>
        <h2>事故池 Accident pools</h2>
        <table>
        <thead><tr><th>水池 Pool</th><th>液位前 Level before</th><th>液位后 Level after</th><th>容积前 Volume before</th><th>容积后 Volume after</th><th>变化 Change</th></tr></thead>
        <tbody>
        <tr><td>事故应急池 (pool-level)</td><td>0.42 m</td><td>1.10 m</td><td>126.0 m³</td><td>330.0 m³</td><td>+204.0 m³</td></tr>
        </tbody>
        </table>
        </section>
        <section>
        <h2>上报园区 Park escalation</h2>
        <ul>
        <li>08:05 电话报园区值班室 phoned the park duty room</li>
        </ul>
        </section>
        <section>
        <h2>复位 Restore</h2>
        <table>
        <thead><tr><th>步骤 Step</th><th>设备 Device</th><th>结果 Outcome</th><th>用时 Seconds</th></tr></thead>
        <tbody>
        <tr><td>open rain outlet</td><td>rain-outlet-1</td><td>opened</td><td>18.3</td></tr>
        <tr><td>close pool inlet</td><td>pool-inlet</td><td>closed by hand</td><td>—</td></tr>
        </tbody>
        </table>
        </section>
        </body>
        </html>

        """#

    static let fullMarkdown = #"""
        # 演练 DRILL (实战演练 live) · 验证演练报告 Drill report · rain-outlet-shutoff

        **实战演练 Live drill on real equipment**

        ## 概况 Summary

        | 项目 Item | 内容 Value |
        |---|---|
        | 演练编号 Drill id | drill-20250301-0800 |
        | 企业 Site | 某某化工有限公司 (site-7) |
        | 预案 Plan | rain-outlet-shutoff |
        | 方式 Mode | 实战演练 live |
        | 发起人 Started by | 张工 |
        | 原因 Reason | 年度验证演练 annual drill |
        | 开始 Started | 2025-03-01 08:00:00.250 |
        | 结束 Finished | 2025-03-01 08:30:05.750 |
        | 用时 Duration | 30:05 |
        | 时区 Time zone | Asia/Shanghai (UTC+08:00) |
        | 故障 Failures | **1** |
        | 阀门动作 Valve strokes | **3 (漂移 drifted: 1, 未确认 not confirmed: 1)** |
        | 报警 Alarms | 2 (10 分钟峰值 peak per 10 min: 2) |

        ## 时间线 Timeline

        时间 Times: Asia/Shanghai (UTC+08:00)

        | 时间 Time | 类型 Kind | 设备 Device | 内容 Text |
        |---|---|---|---|
        | 2025-03-01 08:00:00.250 | 触发 trigger | — | 一键关断 one-key shutoff |
        | 2025-03-01 08:00:00.750 | 指令 command | rain-outlet-1 | 关闭雨水排口 |
        | 2025-03-01 08:00:34.950 | 确认 confirmed | rain-outlet-1 | closed limit reached |
        | 2025-03-01 08:02:00.250 | **失败 failed** | pool-inlet | no open limit within 90 s |
        | 2025-03-01 08:03:20.250 | 人工操作 manual action | pool-inlet | opened by hand |
        | 2025-03-01 08:05:00.250 | 上报 escalation | — | park notified |
        | 2025-03-01 08:28:20.250 | 复位 restore | rain-outlet-1 | reopened |

        ## 阀门行程 Valve strokes

        漂移 Drift: measured \> 1.5 × baseline. 基准 Baseline: median of the last strokes when there are at least 3, otherwise the configured stroke time. Seconds.

        | 阀门 Valve | 动作 Operation | 配置 Configured s | 基准 Baseline s | 实测 Measured s | 比值 Ratio | 判定 Flag |
        |---|---|---|---|---|---|---|
        | 雨水排口阀门 (rain-outlet-1) | 关 close | 20.0 | 18.1 中位数 median | 34.2 | **×1.89** | **超时漂移 DRIFT** |
        | 罐区A围堰排水阀 (bund-a-drain) | 关 close | 15.0 | 15.0 配置 configured | 14.8 | ×0.99 | 正常 OK |
        | 事故池进水闸门 (pool-inlet) | 开 open | 90.0 | 90.0 配置 configured | **未确认 not confirmed** | — | **未确认 not confirmed** |

        ## 故障 Failures

        - 事故池进水闸门未在 90 s 内到位 pool inlet did not open within 90 s

        ## 就地模式阀门 Valves in local mode

        手自一体开关在就地位置，远程无法操作 The hand/auto switch was in local: these cannot be commanded remotely.

        | 阀门 Valve | 位置 Location |
        |---|---|
        | **sewage-outlet** | 东门污水排口 east gate |

        ## 报警 Alarms

        10 分钟内最多报警数 Most alarms in any 10 minutes: 2

        | 时间 Time | 报警 Alarm | 优先级 Priority | 内容 Text |
        |---|---|---|---|
        | 2025-03-01 08:00:01.250 | drill.trip | critical | 演练关断 drill trip |
        | 2025-03-01 08:02:00.250 | pool-inlet.failed-to-move | critical | 闸门未动作 |

        ## 事故池 Accident pools

        | 水池 Pool | 液位前 Level before | 液位后 Level after | 容积前 Volume before | 容积后 Volume after | 变化 Change |
        |---|---|---|---|---|---|
        | 事故应急池 (pool-level) | 0.42 m | 1.10 m | 126.0 m³ | 330.0 m³ | +204.0 m³ |

        ## 上报园区 Park escalation

        - 08:05 电话报园区值班室 phoned the park duty room

        ## 复位 Restore

        | 步骤 Step | 设备 Device | 结果 Outcome | 用时 Seconds |
        |---|---|---|---|
        | open rain outlet | rain-outlet-1 | opened | 18.3 |
        | close pool inlet | pool-inlet | closed by hand | — |


        """#

    static let emptyHTML = #"""
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>演练 DRILL (桌面推演 tabletop check) · 验证演练报告 Drill report · p</title>
        <style>
        body { font-family: "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em;
          color: #111; line-height: 1.45; }
        .banner { background: #b00020; color: #fff; font-weight: bold; padding: 0.4em 0.8em; letter-spacing: 0.05em; }
        h1 { font-size: 1.5em; margin: 0.4em 0; }
        h2 { font-size: 1.15em; border-bottom: 2px solid #333; padding-bottom: 0.15em; margin-top: 1.6em; }
        .mode { font-weight: bold; font-size: 1.1em; }
        .mode.live { color: #b00020; }
        .mode.tabletop { color: #0b5394; }
        .note { color: #444; font-size: 0.9em; }
        .none { color: #555; font-style: italic; }
        table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
        th, td { border: 1px solid #999; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
        th { background: #eee; }
        td.flag { background: #fde0e0; color: #8a0016; font-weight: bold; }
        @media print {
          body { margin: 0; }
          .banner, td.flag, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          tr { break-inside: avoid; }
        }
        </style>
        </head>
        <body>
        <p class="banner">演练 DRILL — 非真实事故 not a real incident</p>
        <h1>演练 DRILL (桌面推演 tabletop check) · 验证演练报告 Drill report · p</h1>
        <p class="mode tabletop">桌面推演 Tabletop check: no equipment was moved</p>
        <section>
        <h2>概况 Summary</h2>
        <table>
        <thead><tr><th>项目 Item</th><th>内容 Value</th></tr></thead>
        <tbody>
        <tr><td>演练编号 Drill id</td><td>d</td></tr>
        <tr><td>企业 Site</td><td>s (s)</td></tr>
        <tr><td>预案 Plan</td><td>p</td></tr>
        <tr><td>方式 Mode</td><td>桌面推演 tabletop check</td></tr>
        <tr><td>发起人 Started by</td><td>u</td></tr>
        <tr><td>原因 Reason</td><td>r</td></tr>
        <tr><td>开始 Started</td><td>2025-03-01 08:00:00.250</td></tr>
        <tr><td>结束 Finished</td><td class="flag">未结束 not finished</td></tr>
        <tr><td>用时 Duration</td><td>—</td></tr>
        <tr><td>时区 Time zone</td><td>Asia/Shanghai (UTC+08:00)</td></tr>
        <tr><td>故障 Failures</td><td>0</td></tr>
        <tr><td>阀门动作 Valve strokes</td><td>0 (漂移 drifted: 0, 未确认 not confirmed: 0)</td></tr>
        <tr><td>报警 Alarms</td><td>0 (10 分钟峰值 peak per 10 min: 0)</td></tr>
        </tbody>
        </table>
        </section>
        <section>
        <h2>时间线 Timeline</h2>
        <p class="note">时间 Times: Asia/Shanghai (UTC+08:00)</p>
        <p class="none">无 None</p>
        </section>
        <section>
        <h2>阀门行程 Valve strokes</h2>
        <p class="note">漂移 Drift: measured &gt; 1.5 × baseline. 基准 Baseline: median of the last strokes when there are at least 3, otherwise the configured stroke time. Seconds.</p>
        <p class="none">无 None</p>
        </section>
        <section>
        <h2>故障 Failures</h2>
        <p class="none">无 None</p>
        </section>
        <section>
        <h2>就地模式阀门 Valves in local mode</h2>
        <p class="note">手自一体开关在就地位置，远程无法操作 The hand/auto switch was in local: these cannot be commanded remotely.</p>
        <p class="none">无 None</p>
        </section>
        <section>
        <h2>报警 Alarms</h2>
        <p class="note">10 分钟内最多报警数 Most alarms in any 10 minutes: 0</p>
        <p class="none">无 None</p>
        </section>
        <section>
        <h2>事故池 Accident pools</h2>
        <p class="none">无 None</p>
        </section>
        <section>
        <h2>上报园区 Park escalation</h2>
        <p class="none">无 None</p>
        </section>
        <section>
        <h2>复位 Restore</h2>
        <p class="none">无 None</p>
        </section>
        </body>
        </html>

        """#

    static let emptyMarkdown = #"""
        # 演练 DRILL (桌面推演 tabletop check) · 验证演练报告 Drill report · p

        **桌面推演 Tabletop check: no equipment was moved**

        ## 概况 Summary

        | 项目 Item | 内容 Value |
        |---|---|
        | 演练编号 Drill id | d |
        | 企业 Site | s (s) |
        | 预案 Plan | p |
        | 方式 Mode | 桌面推演 tabletop check |
        | 发起人 Started by | u |
        | 原因 Reason | r |
        | 开始 Started | 2025-03-01 08:00:00.250 |
        | 结束 Finished | **未结束 not finished** |
        | 用时 Duration | — |
        | 时区 Time zone | Asia/Shanghai (UTC+08:00) |
        | 故障 Failures | 0 |
        | 阀门动作 Valve strokes | 0 (漂移 drifted: 0, 未确认 not confirmed: 0) |
        | 报警 Alarms | 0 (10 分钟峰值 peak per 10 min: 0) |

        ## 时间线 Timeline

        时间 Times: Asia/Shanghai (UTC+08:00)

        无 None

        ## 阀门行程 Valve strokes

        漂移 Drift: measured \> 1.5 × baseline. 基准 Baseline: median of the last strokes when there are at least 3, otherwise the configured stroke time. Seconds.

        无 None

        ## 故障 Failures

        无 None

        ## 就地模式阀门 Valves in local mode

        手自一体开关在就地位置，远程无法操作 The hand/auto switch was in local: these cannot be commanded remotely.

        无 None

        ## 报警 Alarms

        10 分钟内最多报警数 Most alarms in any 10 minutes: 0

        无 None

        ## 事故池 Accident pools

        无 None

        ## 上报园区 Park escalation

        无 None

        ## 复位 Restore

        无 None


        """#

    /// ``Fixture/report(live:valveName:)`` as the historian stored it before reports had `plants`.
    static let storedBeforePlants = #"""
        {"alarmRatePerTenMinutes":2,"alarms":[{"at":1740787201250,"id":"drill.trip","priority":"critical","text":"演练关断 drill trip"},{"at":1740787320250,"id":"pool-inlet.failed-to-move","priority":"critical","text":"闸门未动作"}],"escalations":["08:05 电话报园区值班室 phoned the park duty room"],"failures":["事故池进水闸门未在 90 s 内到位 pool inlet did not open within 90 s"],"finishedAt":1740789005750,"id":"drill-20250301-0800","live":true,"localValves":[{"location":"东门污水排口 east gate","valve":"sewage-outlet"}],"plan":"rain-outlet-shutoff","pools":[{"device":"pool-level","levelAfter":1.1,"levelBefore":0.42,"name":"事故应急池","unit":"m","volumeAfter":330,"volumeBefore":126}],"reason":"年度验证演练 annual drill","restore":[{"device":"rain-outlet-1","outcome":"opened","seconds":18.3,"step":"open rain outlet"},{"device":"pool-inlet","outcome":"closed by hand","step":"close pool inlet"}],"site":"site-7","siteName":"某某化工有限公司","startedAt":1740787200250,"startedBy":"张工","strokes":[{"baselineSeconds":18.05,"configuredSeconds":20,"drifted":true,"measuredSeconds":34.2,"operation":"close","previous":[18.1,17.9,18.4,18],"ratio":1.8947368421052633,"valve":"rain-outlet-1","valveName":"雨水排口阀门"},{"baselineSeconds":15,"configuredSeconds":15,"drifted":false,"measuredSeconds":14.8,"operation":"close","previous":[14.9],"ratio":0.9866666666666667,"valve":"bund-a-drain","valveName":"罐区A围堰排水阀"},{"baselineSeconds":90,"configuredSeconds":90,"drifted":false,"operation":"open","previous":[],"valve":"pool-inlet","valveName":"事故池进水闸门"}],"timeZone":"Asia\/Shanghai","timeline":[{"at":1740787200750,"device":"rain-outlet-1","kind":"command","text":"关闭雨水排口"},{"at":1740787200250,"kind":"trigger","text":"一键关断 one-key shutoff"},{"at":1740787234950,"device":"rain-outlet-1","kind":"confirmed","text":"closed limit reached"},{"at":1740787320250,"device":"pool-inlet","kind":"failed","text":"no open limit within 90 s"},{"at":1740787400250,"device":"pool-inlet","kind":"manualAction","text":"opened by hand"},{"at":1740787500250,"kind":"escalation","text":"park notified"},{"at":1740788900250,"device":"rain-outlet-1","kind":"restore","text":"reopened"}]}
        """#
}
