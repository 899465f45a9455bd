/// Every message the server makes for people. The raw value is the id the journal stores and the dashboard's
/// catalogue (`/api/v1/messages`) is keyed by: keep it once shipped; add a new id for a new meaning.
public enum MessageID: String, Sendable, Hashable, Codable, CaseIterable {
    // Building blocks
    case literal
    case drill = "drill"
    case join = "join"
    case withDetail = "with-detail"

    // Device-health alarms: one per `HealthCondition.Kind`, `{subject}` the device, valve, point or link.
    case alarmCommFail = "alarm.comm-fail"
    case alarmStale = "alarm.stale"
    case alarmOutOfRange = "alarm.out-of-range"
    case alarmFrozen = "alarm.frozen"
    case alarmValveFault = "alarm.valve-fault"
    case alarmFailedToMove = "alarm.failed-to-move"
    case alarmFailedToMoveMeasured = "alarm.failed-to-move.measured"
    case alarmLocal = "alarm.local"
    case alarmHistorianFault = "alarm.historian-fault"
    case alarmManualAction = "alarm.manual-action"
    case alarmStepFailed = "alarm.step-failed"
    case alarmMovedWhileShutOff = "alarm.moved-while-shut-off"
    case alarmStrokeDrift = "alarm.stroke-drift"
    case alarmEscalated = "alarm.escalated"
    case alarmPlantEscalated = "alarm.plant-escalated"
    case alarmLinkLost = "alarm.link-lost"
    case alarmCommandFailed = "alarm.command-failed"
    case alarmLinkDown = "alarm.link-down"
    /// A configured alarm's activation as the journal writes it: priority, id and the configured text.
    case alarmJournal = "alarm.journal"
    /// One alarm's change of state as the journal writes it: `{from}`, `{to}` and `{event}` are the messages below.
    case alarmTransition = "alarm.transition"
    case alarmTransitionFirstOut = "alarm.transition.first-out"
    case alarmWithPool = "alarm.with-pool"
    case stateNormal = "alarm-state.normal"
    case stateUnacknowledged = "alarm-state.unacknowledged"
    case stateAcknowledged = "alarm-state.acknowledged"
    case stateReturnedUnacknowledged = "alarm-state.returned-unacknowledged"
    case stateShelved = "alarm-state.shelved"
    case stateSuppressedByDesign = "alarm-state.suppressed-by-design"
    case stateOutOfService = "alarm-state.out-of-service"
    case eventActivated = "alarm-event.activated"
    case eventCleared = "alarm-event.cleared"
    case eventAcknowledged = "alarm-event.acknowledged"
    case eventShelved = "alarm-event.shelved"
    case eventUnshelved = "alarm-event.unshelved"
    case eventShelveExpired = "alarm-event.shelve-expired"
    case eventSuppressed = "alarm-event.suppressed"
    case eventUnsuppressed = "alarm-event.unsuppressed"
    case eventRemovedFromService = "alarm-event.removed-from-service"
    case eventReturnedToService = "alarm-event.returned-to-service"
    case alarmFloodStarted = "alarm.flood.started"
    case alarmFloodEnded = "alarm.flood.ended"

    // Details the daemon adds to a health alarm
    case detailSelectorLocal = "detail.selector-local"
    case detailSelectorRemote = "detail.selector-remote"
    case detailPosition = "detail.position"
    case detailActuatorFaultOn = "detail.actuator-fault.on"
    case detailActuatorFaultOff = "detail.actuator-fault.off"
    case detailStrokeDrift = "detail.stroke-drift"
    case detailCommandedClosed = "detail.commanded-closed"
    case detailCommandedOpen = "detail.commanded-open"
    case detailHistorianRecovered = "detail.historian-recovered"
    case detailPlantSilent = "detail.plant-silent"
    case detailCommandNotAnswered = "detail.command-not-answered"
    case detailBrokerUnreachable = "detail.broker-unreachable"

    // What the shutoff sequencer raises
    case defenceManualActionAt = "defence.manual-action-at"
    case defenceManualAction = "defence.manual-action"
    case defenceStepFailed = "defence.step-failed"
    case defenceOpenedWhileShutOff = "defence.opened-while-shut-off"
    case defenceClosedWhileShutOff = "defence.closed-while-shut-off"
    case defenceChangedWhileShutOff = "defence.changed-while-shut-off"
    case defenceNotAcknowledged = "defence.not-acknowledged"
    case defenceNotAcknowledgedError = "defence.not-acknowledged.error"

    // Next actions (what to do now) for the critical conditions
    case nextFailedToMove = "next.failed-to-move"
    case nextLocal = "next.local"
    case nextManualAction = "next.manual-action"
    case nextStepFailed = "next.step-failed"
    case nextMovedWhileShutOff = "next.moved-while-shut-off"
    case nextCommFail = "next.comm-fail"
    case nextPoolFull = "next.pool-full"
    case nextHistorianFault = "next.historian-fault"
    case nextEscalated = "next.escalated"
    case nextPlantEscalated = "next.plant-escalated"
    case nextCommandFailed = "next.command-failed"

    // Trips and the shutoff's journal
    case trigger = "trip.trigger"
    case triggerCondition = "trip.condition"
    case triggerButton = "trip.button"
    case tripped = "trip.tripped"
    case tripAdded = "trip.added"
    case tripBypassed = "trip.bypassed"
    case stepConfirmed = "trip.step-confirmed"
    case stepConfirmedUntimed = "trip.step-confirmed.untimed"
    case reset = "trip.reset"
    case resetOverriding = "trip.reset.overriding"
    case restoreStarted = "trip.restore-started"
    case restoreHeld = "trip.restore-held"
    case restoreNeedsDecision = "trip.restore-needs-decision"
    case restoreOverridden = "trip.restore-overridden"
    case bypassed = "trip.bypassed-interlock"
    case bypassRemoved = "trip.bypass-removed"
    case bypassExpired = "trip.bypass-expired"
    case restarted = "trip.restarted"
    case restartedLatched = "trip.restarted.latched"
    case restartedRestoring = "trip.restarted.restoring"

    // Escalation reasons and entries
    case escalation = "escalation"
    case escalationBoundaryLocal = "escalation.boundary-local"
    case escalationBoundaryFailed = "escalation.boundary-failed"
    case escalationPoolHighHigh = "escalation.pool-high-high"
    case escalationPoolFull = "escalation.pool-full"
    case stepNotConfirmed = "defence.step-not-confirmed"
    case stepNotConfirmedSinceRestart = "defence.step-not-confirmed.since-restart"

    // The park's view of its plants
    case parkPlantOffline = "park.plant-offline"
    case parkPlantOfflineWill = "park.plant-offline.will"
    case parkAck = "park.ack"
    case parkAckMessage = "park.ack.message"
    case parkCommandRefused = "park.command-refused"
    case parkNoAnswer = "park.no-answer"
    case parkPlantEscalated = "park.plant-escalated"
    case parkCommandSent = "park.command-sent"
    case parkCommandSentPlan = "park.command-sent.plan"
    case replyCatchmentTripped = "reply.catchment-tripped"
    case refusalNoCatchment = "refusal.no-catchment"

    // Device states in the journal
    case deviceAnswering = "device.answering"
    case deviceNotAnswering = "device.not-answering"
    case devicePosition = "device.position"
    case deviceMode = "device.mode"
    case deviceActuatorFaultOn = "device.actuator-fault.on"
    case deviceActuatorFaultOff = "device.actuator-fault.off"
    case positionOpen = "position.open"
    case positionClosed = "position.closed"
    case positionTravelling = "position.travelling"
    case positionFault = "position.fault"
    case positionUnknown = "position.unknown"
    case modeRemote = "mode.remote"
    case modeLocal = "mode.local"
    case modeUnknown = "mode.unknown"

    // Replies and refusals to an operator's request
    case replyLatched = "reply.latched"
    case replyReset = "reply.reset"
    case refusalReset = "refusal.reset"
    case refusalRestore = "refusal.restore"
    case refusalNoPlan = "refusal.no-plan"
    case replyRestoreDryRun = "reply.restore.dry-run"
    case replyRestoreStarted = "reply.restore.started"
    /// What a restore moves, leaves and holds, counted: the `{counts}` of the two replies above.
    case restoreCounts = "restore.counts"
    case replyBypassed = "reply.bypassed"
    case replyUnbypassed = "reply.unbypassed"
    case replyEscalated = "reply.escalated"
    case refusalBypass = "refusal.bypass"
    case refusalNotBypassed = "refusal.not-bypassed"
    /// A drill asked for without saying it is live: worded for every client (the dashboard has no `--live`).
    case refusalDrillNotLive = "refusal.drill-not-live"
    case refusalDrillLatched = "refusal.drill-latched"

    // An operator's alarm request: its operation, reply and refusals
    case opAcknowledge = "op.acknowledge"
    case opShelve = "op.shelve"
    case opUnshelve = "op.unshelve"
    case opRemoveFromService = "op.remove-from-service"
    case opReturnToService = "op.return-to-service"
    case opSilence = "op.silence"
    case replyAlarmDone = "reply.alarm-done"
    case replySilenced = "reply.silenced"
    case refusalShelve = "refusal.shelve"
    case alarmErrorUnknown = "alarm-error.unknown"
    case alarmErrorMissingUser = "alarm-error.missing-user"
    case alarmErrorMissingReason = "alarm-error.missing-reason"
    case alarmErrorNotAllowed = "alarm-error.not-allowed"
    case alarmErrorShelveNotInFuture = "alarm-error.shelve-not-in-future"
    case alarmErrorShelveTooLong = "alarm-error.shelve-too-long"
    case alarmErrorSilenceWithoutUser = "alarm-error.silence-without-user"
    /// An out-of-range reading's value, written with its point's precision.
    case detailValue = "detail.value"

    // The status summary line
    case statusLatched = "status.latched"
    case statusDrillLatched = "status.drill-latched"
    case statusEscalated = "status.escalated"
    case statusBypassed = "status.bypassed"
    case statusDevicesAnswering = "status.devices-answering"
    case statusDown = "status.down"
    case statusDownMore = "status.down.more"
    case statusValveFaults = "status.valve-faults"
    case statusLocalMode = "status.local-mode"
    case statusHistorianOK = "status.historian-ok"
    case statusHistorianFault = "status.historian-fault"
    case statusAlarms = "status.alarms"
    case statusFlood = "status.flood"

    /// The templates: `{name}` takes the argument `name`; `{name|one|other}` writes `one` when the argument is "1"
    /// and `other` otherwise (English plurals). Both languages use the same placeholders (a test holds them).
    public var templates: (zhCN: String, en: String) {
        switch self {
        case .literal: ("{text}", "{text}")
        case .drill: ("演练：{text}", "DRILL: {text}")
        case .join: ("{first}；{rest}", "{first}; {rest}")
        case .withDetail: ("{text} — {detail}", "{text} — {detail}")

        case .alarmCommFail: ("通讯故障：{subject}", "Comm failure: {subject}")
        case .alarmStale: ("数据未刷新：{subject}", "Data not refreshed: {subject}")
        case .alarmOutOfRange: ("超出量程：{subject}", "Out of range: {subject}")
        case .alarmFrozen: ("数值冻结：{subject}", "Frozen value: {subject}")
        case .alarmValveFault: ("阀门故障：{subject}", "Valve fault: {subject}")
        case .alarmFailedToMove: ("阀门未到位：{subject}", "Valve failed to move: {subject}")
        case .alarmFailedToMoveMeasured:
            ("阀门未到位：{subject}，实测 {seconds} s", "Valve failed to move: {subject}, measured {seconds} s")
        case .alarmLocal: ("阀门处于就地模式：{subject}", "Valve in local mode: {subject}")
        case .alarmHistorianFault: ("历史库故障", "Historian fault")
        case .alarmManualAction: ("需现场手动操作：{subject}", "Manual action needed: {subject}")
        case .alarmStepFailed: ("关断步骤失败：{subject}", "Shutoff step failed: {subject}")
        case .alarmMovedWhileShutOff: ("关断期间设备离位：{subject}", "Moved while shut off: {subject}")
        case .alarmStrokeDrift: ("阀门行程变慢：{subject}", "Valve stroke slowing: {subject}")
        case .alarmEscalated: ("已上报园区", "Escalated to the park")
        case .alarmPlantEscalated: ("企业请求园区支援：{subject}", "Plant escalated to the park: {subject}")
        case .alarmLinkLost: ("企业通讯中断：{subject}", "Plant link lost: {subject}")
        case .alarmCommandFailed: ("园区指令未执行：{subject}", "Park command not carried out: {subject}")
        case .alarmLinkDown: ("外部链路中断：{subject}", "Link down: {subject}")
        case .alarmJournal: ("{priority}报警 {alarm}：{text}", "{priority} alarm {alarm}: {text}")
        case .alarmTransition: ("{alarm}：{from} → {to}（{event}）：{text}", "{alarm} {from} → {to} ({event}): {text}")
        case .alarmTransitionFirstOut:
            ("{alarm}：{from} → {to}（{event}，首出）：{text}", "{alarm} {from} → {to} ({event}) FIRST-OUT: {text}")
        case .alarmWithPool: ("{text} — {pool}", "{text} — {pool}")
        case .stateNormal: ("正常", "normal")
        case .stateUnacknowledged: ("未确认", "unacknowledged")
        case .stateAcknowledged: ("已确认", "acknowledged")
        case .stateReturnedUnacknowledged: ("已恢复未确认", "returned-unacknowledged")
        case .stateShelved: ("已搁置", "shelved")
        case .stateSuppressedByDesign: ("设计抑制", "suppressed-by-design")
        case .stateOutOfService: ("停用", "out-of-service")
        case .eventActivated: ("报警", "activated")
        case .eventCleared: ("恢复", "cleared")
        case .eventAcknowledged: ("确认", "acknowledged")
        case .eventShelved: ("搁置", "shelved")
        case .eventUnshelved: ("取消搁置", "unshelved")
        case .eventShelveExpired: ("搁置到期", "shelve-expired")
        case .eventSuppressed: ("抑制", "suppressed")
        case .eventUnsuppressed: ("解除抑制", "unsuppressed")
        case .eventRemovedFromService: ("停用", "removed-from-service")
        case .eventReturnedToService: ("恢复投用", "returned-to-service")
        case .alarmFloodStarted:
            ("报警泛滥开始：10 分钟内 {count} 条报警", "Alarm flood started: {count} {count|alarm|alarms} in 10 minutes")
        case .alarmFloodEnded:
            ("报警泛滥结束：10 分钟内 {count} 条报警", "Alarm flood ended: {count} {count|alarm|alarms} in 10 minutes")

        case .detailSelectorLocal: ("选择开关在就地位置", "selector in local mode")
        case .detailSelectorRemote: ("选择开关在远程位置", "selector in remote mode")
        case .detailPosition: ("阀位：{position}", "position {position}")
        case .detailActuatorFaultOn: ("执行器报故障", "actuator fault true")
        case .detailActuatorFaultOff: ("执行器故障信号消除", "actuator fault false")
        case .detailStrokeDrift:
            (
                "{command} 用时 {seconds} s，基准 {baseline} s（{ratio}×）",
                "{command} in {seconds} s against a baseline of {baseline} s ({ratio}×)"
            )
        case .detailCommandedClosed: ("已下令关闭", "commanded closed")
        case .detailCommandedOpen: ("已下令打开", "commanded open")
        case .detailHistorianRecovered:
            (
                "已恢复，故障持续 {duration} 秒；丢失 {dropped} 条读数",
                "recovered after {duration} s; {dropped} {dropped|reading was|readings were} dropped"
            )
        case .detailPlantSilent: ("{plant} 已 {seconds} 秒无消息", "{plant} silent for {seconds} s")
        case .detailCommandNotAnswered:
            ("指令 {op} 在 {seconds} 秒内未获答复", "{op} not answered within {seconds} s")
        case .detailBrokerUnreachable: ("无法连接消息服务器 {broker}", "broker {broker} unreachable")

        case .defenceManualActionAt:
            (
                "需现场手动操作：{valve}（{location}）处于就地模式，无法远程关闭",
                "Manual action needed at {valve} ({location}): the valve is in local mode"
            )
        case .defenceManualAction:
            ("需现场手动操作：{valve} 处于就地模式，无法远程关闭", "Manual action needed at {valve}: the valve is in local mode")
        case .defenceStepFailed: ("关断步骤 {step} 失败：{reason}", "Shutoff step {step} failed: {reason}")
        case .defenceOpenedWhileShutOff:
            ("{device} 在关断期间被打开（{how}），已重新下令关闭", "{device} opened while shut off ({how}); commanded closed again")
        case .defenceClosedWhileShutOff:
            ("{device} 在关断期间被关闭（{how}），已重新下令打开", "{device} closed while shut off ({how}); commanded open again")
        case .defenceChangedWhileShutOff:
            ("{device} 在关断期间状态改变（{how}），已下令恢复", "{device} changed while shut off ({how}); commanded back")
        case .defenceNotAcknowledged:
            ("步骤 {step}：{device} 未接受指令", "Step {step}: {device} did not take the command")
        case .defenceNotAcknowledgedError:
            ("步骤 {step}：{device} 未接受指令：{error}", "Step {step}: {device} did not take the command: {error}")

        case .nextFailedToMove:
            (
                "派人携带钥匙到 {subject} 现场手动关闭阀门，并上报园区。",
                "Send someone to {subject} with the key to close the valve by hand, and escalate to the park."
            )
        case .nextLocal:
            (
                "派人到 {subject} 现场：将选择开关切回远程，或就地手动操作阀门。",
                "Send someone to {subject}: switch the selector back to remote, or operate the valve by hand."
            )
        case .nextManualAction:
            (
                "派人携带钥匙到 {subject} 现场手动关闭阀门；关好后报告控制室。",
                "Send someone to {subject} with the key to close the valve by hand; have them report when it is shut."
            )
        case .nextStepFailed:
            (
                "派人到现场确认步骤 {subject} 的设备位置，必要时手动操作，并上报园区。",
                "Send someone to check the device of step {subject} on site, operate it by hand if needed, and escalate to the park."
            )
        case .nextMovedWhileShutOff:
            (
                "派人到 {subject} 现场查明是谁操作了设备，并确认其回到关断位置。",
                "Send someone to {subject} to find out who moved it, and make sure it is back in its shut-off position."
            )
        case .nextCommFail:
            (
                "派人到 {subject} 现场检查设备和线路；探测器失效期间，用便携式检测仪在现场检测。",
                "Send someone to {subject} to check the device and its wiring; while a detector is dead, measure on site with a portable detector."
            )
        case .nextPoolFull:
            (
                "事故池约 {minutes} 分钟后满：启动转输泵，并上报园区。",
                "The accident pool is full in about {minutes} min: start the transfer pumps, and escalate to the park."
            )
        case .nextHistorianFault:
            (
                "检查历史库所在磁盘；故障期间手工记录操作和事件。",
                "Check the historian's disk; keep a written log of actions and events until it recovers."
            )
        case .nextEscalated:
            (
                "联系园区值班人员，确认已收到并在处理。",
                "Call the park's duty officer and confirm they received the escalation and are acting on it."
            )
        case .nextPlantEscalated:
            (
                "联系 {subject} 值班人员，核实情况并决定是否关断汇水分区。",
                "Call the duty operator of {subject}, check the situation and decide whether to shut off the catchment."
            )
        case .nextCommandFailed:
            (
                "联系 {subject} 值班人员，请其现场执行指令。",
                "Call the duty operator of {subject} and have them carry out the command on site."
            )

        case .trigger: ("{who}（{from}）：{why}", "{who} from {from}: {why}")
        case .triggerCondition: ("联锁条件 {interlock} 在 {point} 上成立", "condition {interlock} active on {point}")
        case .triggerButton: ("一键关断按钮被按下", "one-key shutoff button pressed")
        case .tripped: ("已执行关断方案 {plan} — {trigger}", "tripped plan {plan} — {trigger}")
        case .tripAdded: ("方案 {plan} 已并入锁定中的关断 — {trigger}", "plan {plan} added to the latched trip — {trigger}")
        case .tripBypassed: ("联锁已旁路，自动关断未执行 — {trigger}", "automatic trip ignored, bypassed — {trigger}")
        case .stepConfirmed:
            (
                "步骤 {step} 已由 {device} 反馈确认，用时 {seconds} s",
                "step {step} confirmed by {device} feedback after {seconds} s"
            )
        case .stepConfirmedUntimed:
            (
                "步骤 {step} 已由 {device} 反馈确认（未计时：指令在 leveed 重启前发出）",
                "step {step} confirmed by {device} feedback (time not measured: commanded before leveed restarted)"
            )
        case .reset: ("{by} 复位了关断：{reason}；未重新打开任何设备", "reset by {by}: {reason}; nothing reopened")
        case .resetOverriding:
            (
                "{by} 复位了关断：{reason}（覆盖仍成立的条件：{overridden}）；未重新打开任何设备",
                "reset by {by}: {reason} (overriding active: {overridden}); nothing reopened"
            )
        case .restoreStarted:
            (
                "{by} 开始将方案 {plan} 恢复到关断前的状态：{reason}",
                "restore of plan {plan} to the line-up before the trip started by {by}: {reason}"
            )
        case .restoreHeld: ("{device} 保持关闭：{reasons}；交由初期雨水控制", "{device} held closed: {reasons}; first flush has it")
        case .restoreNeedsDecision: ("{device} 保持现状，需人工决定：{seen}", "{device} left as it is, needs a decision: {seen}")
        case .restoreOverridden:
            ("{by} 打开了 {device}，覆盖了 {holds}：{reason}", "{device} opened by {by} overriding {holds}: {reason}")
        case .bypassed: ("{by} 旁路了联锁 {interlock}：{reason}", "interlock {interlock} bypassed by {by}: {reason}")
        case .bypassRemoved:
            (
                "联锁 {interlock} 的旁路已解除，联锁恢复投用",
                "bypass of interlock {interlock} removed; the interlock is back in service"
            )
        case .bypassExpired:
            (
                "联锁 {interlock} 的旁路已到期，联锁恢复投用",
                "bypass of interlock {interlock} expired; the interlock is back in service"
            )
        case .restarted: ("leveed 已重启", "restarted")
        case .restartedLatched: ("leveed 在关断锁定中重启：重新下发未确认的步骤", "restarted latched: re-asserting unconfirmed steps")
        case .restartedRestoring:
            ("leveed 在恢复过程中重启：继续监视恢复步骤直到完成", "restarted during a restore: watching its steps to the end")

        case .escalation: ("{by} 上报园区：{reason}", "{by}: {reason}")
        case .escalationBoundaryLocal:
            ("边界阀门 {valve} 处于就地模式", "boundary valve {valve} is in local mode")
        case .escalationBoundaryFailed: ("边界阀门 {valve} 未能关闭", "boundary valve {valve} failed to close")
        case .escalationPoolHighHigh: ("事故池 {pool} 液位达到高高限", "accident pool {pool} at HH")
        case .escalationPoolFull: ("事故池 {pool} 约 {minutes} 分钟后满", "accident pool {pool} full in {minutes} min")
        case .stepNotConfirmed:
            (
                "{command} {device} 在 {seconds} s 后仍未确认（共 {attempts} 次，每次允许 {allowed} s）",
                "{command} {device} not confirmed after {seconds} s ({attempts} attempts, {allowed} s allowed each)"
            )
        case .stepNotConfirmedSinceRestart:
            (
                "{command} {device} 自 leveed 重启后 {seconds} s 仍未确认（共 {attempts} 次，每次允许 {allowed} s）",
                "{command} {device} not confirmed after {seconds} s since leveed restarted ({attempts} attempts, {allowed} s allowed each)"
            )

        case .parkPlantOffline: ("企业 {plant} 离线", "plant {plant} offline")
        case .parkPlantOfflineWill:
            ("企业 {plant} 离线（遗嘱消息：连接已断开）", "plant {plant} offline (its last will: the connection was lost)")
        case .parkAck:
            ("企业 {plant} 答复指令 {command}（{op}）：{result}", "plant {plant} answered command {command} ({op}): {result}")
        case .parkAckMessage:
            (
                "企业 {plant} 答复指令 {command}（{op}）：{result}：{message}",
                "plant {plant} answered command {command} ({op}): {result}: {message}"
            )
        case .parkCommandRefused: ("指令 {op} {result}：{message}", "{op} {result}: {message}")
        case .parkNoAnswer:
            ("企业 {plant} 未答复指令 {command}（{op}）", "plant {plant} did not answer command {command} ({op})")
        case .parkPlantEscalated: ("{plant} 请求园区支援：{reason}", "{plant} escalated: {reason}")
        case .parkCommandSent:
            ("已向 {plant} 发送指令 {command}：{op} — {reason}", "command {command} sent to {plant}: {op} — {reason}")
        case .parkCommandSentPlan:
            (
                "已向 {plant} 发送指令 {command}：{op}，方案 {plan} — {reason}",
                "command {command} sent to {plant}: {op} plan {plan} — {reason}"
            )
        case .replyCatchmentTripped: ("汇水分区 {catchment}：方案 {plan} 已执行", "catchment {catchment}: plan {plan} tripped")
        case .refusalNoCatchment:
            ("没有汇水分区“{catchment}”（现有：{known}）", "no catchment \"{catchment}\" (known: {known})")
        case .deviceAnswering: ("{device} 恢复应答", "{device} answering again")
        case .deviceNotAnswering: ("{device} 停止应答：{error}", "{device} stopped answering: {error}")
        case .devicePosition: ("{device} 阀位 {from} → {to}", "{device} position {from} → {to}")
        case .deviceMode: ("{device} 控制方式 {from} → {to}", "{device} mode {from} → {to}")
        case .deviceActuatorFaultOn: ("{device} 执行器故障", "{device} actuator fault on")
        case .deviceActuatorFaultOff: ("{device} 执行器故障消除", "{device} actuator fault off")
        case .positionOpen: ("开", "open")
        case .positionClosed: ("关", "closed")
        case .positionTravelling: ("行程中", "travelling")
        case .positionFault: ("故障", "fault")
        case .positionUnknown: ("未知", "unknown")
        case .modeRemote: ("远程", "remote")
        case .modeLocal: ("就地", "local")
        case .modeUnknown: ("未知", "unknown")
        case .replyLatched:
            (
                "方案 {plan} 已由 {who} 锁定：已发出 {commands} 条指令；各步骤的确认情况见关断进度",
                "plan {plan} latched by {who}: {commands} {commands|command|commands} sent; the shutoff's progress shows each step as it is confirmed"
            )
        case .replyReset: ("{user} 已复位关断；未重新打开任何设备", "reset by {user}; nothing was reopened")
        case .refusalReset: ("复位被拒绝：{reason}", "reset refused: {reason}")
        case .refusalRestore: ("恢复被拒绝：{reason}", "restore refused: {reason}")
        case .refusalNoPlan: ("没有方案“{plan}”（现有方案：{plans}）", "no plan \"{plan}\" (plans: {plans})")
        case .replyRestoreDryRun: ("恢复预览，未动作任何设备：{counts}", "dry run: nothing moved; {counts}")
        case .replyRestoreStarted: ("{user} 已启动恢复：{counts}", "restore started by {user}: {counts}")
        case .restoreCounts:
            (
                "待动作 {move} 台，已到位 {there} 台，保持关闭 {held} 台，待决定 {decide} 台",
                "{move} to move, {there} already there, {held} held closed, {decide} {decide|needs|need} a decision"
            )
        case .replyBypassed:
            ("联锁 {interlock} 已由 {user} 旁路，至 {until}", "interlock {interlock} bypassed by {user} until {until}")
        case .replyUnbypassed: ("{user} 已解除联锁 {interlock} 的旁路", "bypass of {interlock} removed by {user}")
        case .replyEscalated: ("{user} 已上报园区", "escalated to the park by {user}")
        case .refusalBypass: ("旁路被拒绝：{reason}", "bypass refused: {reason}")
        case .refusalNotBypassed: ("联锁 {interlock} 未被旁路", "interlock {interlock} is not bypassed")
        case .refusalDrillNotLive:
            (
                "演练会操作真实设备：请确认为实操演练；只想检查方案“{plan}”而不操作任何设备，请用演练检查",
                "a drill commands the real equipment: confirm it as a live drill, or check plan \"{plan}\" to command nothing"
            )
        case .opAcknowledge: ("确认", "acknowledge")
        case .opShelve: ("搁置", "shelve")
        case .opUnshelve: ("解除搁置", "unshelve")
        case .opRemoveFromService: ("停用", "remove from service")
        case .opReturnToService: ("恢复服务", "return to service")
        case .opSilence: ("消音", "silence")
        case .replyAlarmDone: ("{user} 已{op}报警 {alarm}", "{op} {alarm} done by {user}")
        case .replySilenced: ("{user} 已消音", "silence done by {user}")
        case .refusalShelve: ("搁置被拒绝：{reason}", "shelve refused: {reason}")
        case .alarmErrorUnknown: ("没有报警“{alarm}”", "alarm \"{alarm}\": no such alarm")
        case .alarmErrorMissingUser: ("报警“{alarm}”：{op}需要操作员账号", "alarm \"{alarm}\": {op} needs a user")
        case .alarmErrorMissingReason: ("报警“{alarm}”：{op}需要填写原因", "alarm \"{alarm}\": {op} needs a reason")
        case .alarmErrorNotAllowed:
            ("报警“{alarm}”处于“{state}”状态，不能{op}", "alarm \"{alarm}\": cannot {op} while {state}")
        case .alarmErrorShelveNotInFuture:
            ("报警“{alarm}”：搁置的到期时间必须晚于现在", "alarm \"{alarm}\": shelve expiry must be later than now")
        case .alarmErrorShelveTooLong:
            ("报警“{alarm}”：搁置最长 {seconds} 秒", "alarm \"{alarm}\": shelve may last at most {seconds} s")
        case .alarmErrorSilenceWithoutUser: ("消音需要操作员账号", "silence needs a user")
        case .detailValue: ("读数 {value}", "reading {value}")
        case .refusalDrillLatched: ("关断已锁定：请先复位，再开始演练", "the shutoff is latched: reset it before starting a drill")
        case .statusLatched: ("关断已锁定", "SHUTOFF LATCHED")
        case .statusDrillLatched: ("演练关断已锁定", "DRILL LATCHED")
        case .statusEscalated: ("已上报园区", "ESCALATED TO PARK")
        case .statusBypassed: ("{count} 个联锁被旁路", "{count} {count|INTERLOCK|INTERLOCKS} BYPASSED")
        case .statusDevicesAnswering:
            ("{answering}/{total} 台设备应答", "{answering}/{total} {total|device|devices} answering")
        case .statusDown: ("离线：{devices}", "down: {devices}")
        case .statusDownMore: ("离线：{devices} 等另 {more} 台", "down: {devices} +{more}")
        case .statusValveFaults: ("阀门故障：{valves}", "valve faults: {valves}")
        case .statusLocalMode: ("就地模式：{valves}", "local mode: {valves}")
        case .statusHistorianOK: ("历史库正常", "historian ok")
        case .statusHistorianFault: ("历史库故障", "historian FAULT")
        case .statusAlarms:
            ("{count} 条报警（{unacknowledged} 条未确认）", "{count} {count|alarm|alarms} ({unacknowledged} unacknowledged)")
        case .statusFlood: ("报警泛滥 {rate}/10 分钟", "ALARM FLOOD {rate}/10 min")
        }
    }
}

/// Rendering and the catalogue as data.
public enum MessageCatalogue {
    /// `message` in `language`. An argument the template names but the message lacks is written as `{name}`, so a
    /// missing value shows rather than vanishes.
    public static func render(_ message: Message, _ language: Language) -> String {
        let template = language == .zhCN ? message.id.templates.zhCN : message.id.templates.en
        return fill(template) { name in message.args[name]?.render(language) }
    }

    /// The template `language` uses for `id`.
    public static func template(_ id: MessageID, _ language: Language) -> String {
        language == .zhCN ? id.templates.zhCN : id.templates.en
    }

    /// Every template of `language`, by id: what the dashboard downloads to render messages itself.
    public static func templates(_ language: Language) -> [String: String] {
        Dictionary(uniqueKeysWithValues: MessageID.allCases.map { ($0.rawValue, template($0, language)) })
    }

    /// The placeholder names a template uses, once each.
    public static func placeholders(_ template: String) -> Set<String> {
        var names: Set<String> = []
        _ = fill(template) { name in
            names.insert(name)
            return ""
        }
        return names
    }

    /// Fills `{name}` and `{name|one|other}`; `value` gives an argument's rendering, nil when absent.
    static func fill(_ template: String, _ value: (String) -> String?) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let body = rest[rest.index(after: open)..<close]
            let parts = body.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            let v = value(name)
            if parts.count == 3 {
                out += v == "1" ? parts[1] : parts[2]
            } else {
                out += v ?? "{\(name)}"
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }
}

extension Message {
    /// `parts` as one line, "a; b; c" (en) or "a；b；c" (zh-CN); nil for none.
    public static func joined(_ parts: [Message]) -> Message? {
        guard var result = parts.last else { return nil }
        for part in parts.dropLast().reversed() {
            result = Message(.join, ["first": .message(part), "rest": .message(result)])
        }
        return result
    }

    /// This message with a detail after a dash.
    public func with(detail: Message?) -> Message {
        guard let detail else { return self }
        return Message(.withDetail, ["text": .message(self), "detail": .message(detail)])
    }

    /// This message marked as part of a drill.
    public var asDrill: Message { Message(.drill, ["text": .message(self)]) }
}
