import Drills
import Foundation

/// A drill at a plant in Shanghai, started 2025-03-01 08:00:00.250 local time (00:00:00.250 UTC).
enum Fixture {
    static let t0 = Date(timeIntervalSince1970: 1_740_787_200.250)

    static let strokes = [
        StrokeResult.make(
            valve: "rain-outlet-1", valveName: "雨水排口阀门", operation: "close", configuredSeconds: 20,
            measuredSeconds: 34.2, previous: [18.1, 17.9, 18.4, 18.0]
        ),
        StrokeResult.make(
            valve: "bund-a-drain", valveName: "罐区A围堰排水阀", operation: "close", configuredSeconds: 15,
            measuredSeconds: 14.8, previous: [14.9]
        ),
        StrokeResult.make(
            valve: "pool-inlet", valveName: "事故池进水闸门", operation: "open", configuredSeconds: 90,
            measuredSeconds: nil, previous: []
        ),
    ]

    static func report(live: Bool = true, valveName: String? = nil) -> DrillReport {
        var strokes = strokes
        if let valveName { strokes[0].valveName = valveName }
        return DrillReport(
            id: "drill-20250301-0800", site: "site-7", siteName: "某某化工有限公司", timeZone: "Asia/Shanghai",
            plan: "rain-outlet-shutoff", live: live, startedBy: "张工", reason: "年度验证演练 annual drill",
            startedAt: t0, finishedAt: t0 + 1_805.5,
            timeline: [
                .init(at: t0 + 0.5, kind: .command, device: "rain-outlet-1", text: "关闭雨水排口"),
                .init(at: t0, kind: .trigger, text: "一键关断 one-key shutoff"),
                .init(at: t0 + 34.7, kind: .confirmed, device: "rain-outlet-1", text: "closed limit reached"),
                .init(at: t0 + 120, kind: .failed, device: "pool-inlet", text: "no open limit within 90 s"),
                .init(at: t0 + 200, kind: .manualAction, device: "pool-inlet", text: "opened by hand"),
                .init(at: t0 + 300, kind: .escalation, text: "park notified"),
                .init(at: t0 + 1_700, kind: .restore, device: "rain-outlet-1", text: "reopened"),
            ],
            strokes: strokes,
            failures: ["事故池进水闸门未在 90 s 内到位 pool inlet did not open within 90 s"],
            localValves: [.init(valve: "sewage-outlet", location: "东门污水排口 east gate")],
            alarms: [
                .init(at: t0 + 1, id: "drill.trip", priority: "critical", text: "演练关断 drill trip"),
                .init(at: t0 + 120, id: "pool-inlet.failed-to-move", priority: "critical", text: "闸门未动作"),
            ],
            pools: [
                .init(
                    device: "pool-level", name: "事故应急池", levelBefore: 0.42, levelAfter: 1.10, volumeBefore: 126,
                    volumeAfter: 330, unit: "m"
                )
            ],
            escalations: ["08:05 电话报园区值班室 phoned the park duty room"],
            restore: [
                .init(step: "open rain outlet", device: "rain-outlet-1", outcome: "opened", seconds: 18.3),
                .init(step: "close pool inlet", device: "pool-inlet", outcome: "closed by hand"),
            ]
        )
    }

    /// The same drill run by the park across five plants, one of each outcome: 甲 confirmed every step; 乙 had a step
    /// fail and its outlet reading is stale; 丙 never answered and is offline; 丁 refused; 戊 is still moving.
    static func parkReport(plantName: String = "甲化工") -> DrillReport {
        var report = report()
        report.plants = [
            .init(
                plant: "plant-a", plantName: plantName, command: "drill plant-wide (live)", result: "done",
                message: "drill complete", online: true, latched: true,
                steps: [
                    .init(
                        step: "s1", device: "a-rain-outlet", action: "close-valve", state: "confirmed",
                        commandedAt: t0 + 2, confirmedAt: t0 + 21.5, measuredSeconds: 19.5
                    ),
                    .init(
                        step: "s2", device: "a-pump", action: "stop-pump", state: "confirmed", commandedAt: t0 + 2,
                        confirmedAt: t0 + 3.5, measuredSeconds: 1.5
                    ),
                ],
                outlets: [.init(device: "a-rain-outlet", name: "甲雨水排口", position: "closed", quality: "good")]
            ),
            .init(
                plant: "plant-b", plantName: "乙制药", command: "drill plant-wide (live)", result: "accepted",
                online: true, latched: true,
                steps: [
                    .init(
                        step: "s1", device: "b-rain-outlet", action: "close-valve", state: "failed",
                        commandedAt: t0 + 2.125, measuredSeconds: 45, failure: "no closed limit within 45 s"
                    )
                ],
                outlets: [.init(device: "b-rain-outlet", name: "乙雨水排口", position: "closed", quality: "stale")]
            ),
            .init(
                plant: "plant-c", plantName: "丙材料", command: "drill plant-wide (live)", result: "no answer",
                online: false,
                outlets: [.init(device: "c-outlet", name: "丙排口", position: "unknown", quality: "comm-fail")]
            ),
            .init(
                plant: "plant-d", plantName: "丁环保", command: "drill plant-wide (live)", result: "refused",
                message: "a real trip is latched", online: true, latched: true
            ),
            .init(
                plant: "plant-e", plantName: "戊新能源", command: "drill plant-wide (live)", result: "accepted",
                online: true, latched: false,
                steps: [
                    .init(step: "s1", device: "e-gate", action: "close-valve", state: "commanded", commandedAt: t0 + 4)
                ],
                outlets: [.init(device: "e-gate", name: "戊闸门", position: "travelling", quality: "good")]
            ),
        ]
        return report
    }

    static let headings = [
        "验证演练报告 Drill report", "时间线 Timeline", "阀门行程 Valve strokes", "故障 Failures",
        "就地模式阀门 Valves in local mode", "报警 Alarms", "事故池 Accident pools", "上报园区 Park escalation",
        "复位 Restore",
    ]
}
