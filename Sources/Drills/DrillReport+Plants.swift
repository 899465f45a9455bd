import Foundation

extension DrillReport {
    /// What one plant did in a park drill, as the park saw it over MQTT: the command's answer and the plant's own
    /// measured steps.
    ///
    /// Every text field came from the network (or from the park's record of it): the renderings escape it all.
    public struct PlantSection: Codable, Sendable, Hashable {
        /// The plant's site id.
        public var plant: String
        public var plantName: String
        /// What the park asked, such as `drill plant-wide (live)`.
        public var command: String
        /// The plant's answer: `done`, `accepted`, `refused`, `failed`, or `no answer`.
        public var result: String
        /// The plant's reason or message.
        public var message: String?
        /// Whether the plant was online at report time.
        public var online: Bool
        /// The plant's latch as last published; nil when unknown.
        public var latched: Bool?
        public var steps: [PlantStep]
        public var outlets: [PlantOutlet]

        public init(
            plant: String,
            plantName: String,
            command: String,
            result: String,
            message: String? = nil,
            online: Bool,
            latched: Bool? = nil,
            steps: [PlantStep] = [],
            outlets: [PlantOutlet] = []
        ) {
            self.plant = plant
            self.plantName = plantName
            self.command = command
            self.result = result
            self.message = message
            self.online = online
            self.latched = latched
            self.steps = steps
            self.outlets = outlets
        }

        /// How a plant's part in the drill is counted.
        public enum Outcome: String, Sendable, Hashable, CaseIterable {
            /// It answered `done` and every one of its steps (at least one) was confirmed by feedback.
            case confirmed
            /// It refused, answered `failed`, or a step failed.
            case failed
            /// It did not answer the command.
            case noAnswer
            /// None of those: still running (`accepted`), a step never confirmed, no steps reported, or an answer
            /// the park does not know. Not proof that the plant shut off.
            case notConfirmed
        }

        /// Results that are failures: the plant refused, failed, or did not answer.
        static let failedResults: Set<String> = ["refused", "failed", "no answer"]

        /// ``result`` trimmed and in lower case, for comparing.
        var normalizedResult: String { result.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }

        public var outcome: Outcome {
            let result = normalizedResult
            if result == "no answer" { return .noAnswer }
            if Self.failedResults.contains(result) || steps.contains(where: \.isFailed) { return .failed }
            if result == "done", !steps.isEmpty, steps.allSatisfy(\.isConfirmed) { return .confirmed }
            return .notConfirmed
        }

        /// `name (id)`, or the id alone when the name adds nothing.
        var label: String {
            plantName.isEmpty || plantName == plant ? plant : "\(plantName) (\(plant))"
        }

        /// The sentence ``DrillReport/allFailures`` lists for this plant: what it answered, its message, and each
        /// failed step with its reason; nil unless the plant refused, failed, did not answer or had a step fail.
        public var failure: String? {
            let outcome = outcome
            guard outcome == .failed || outcome == .noAnswer else { return nil }
            var sentence = "厂区 Plant \(label): \(command) → \(ReportDocument.result(result))"
            if let message, !message.isEmpty { sentence += ": \(message)" }
            let failed = steps.filter(\.isFailed).map { step in
                "\(step.step) (\(step.device)): \(step.failure.flatMap { $0.isEmpty ? nil : $0 } ?? step.state)"
            }
            if !failed.isEmpty { sentence += "; 步骤失败 failed steps: " + failed.joined(separator: ", ") }
            return sentence
        }
    }

    /// One step of a plant's shutoff plan, as the plant published it.
    public struct PlantStep: Codable, Sendable, Hashable {
        /// The step's id in the plant's plan.
        public var step: String
        public var device: String
        /// `close-valve`, `open-valve`, `start-pump`, `stop-pump`, `output-on` or `output-off`.
        public var action: String
        /// `waiting`, `commanded`, `confirmed`, `failed` or `manualActionNeeded`.
        public var state: String
        public var commandedAt: Date?
        /// When feedback (a limit switch, a running contact) confirmed it: commanded is not done.
        public var confirmedAt: Date?
        /// From the first command to confirmation or failure, as the plant measured it.
        public var measuredSeconds: Double?
        public var failure: String?

        public init(
            step: String,
            device: String,
            action: String,
            state: String,
            commandedAt: Date? = nil,
            confirmedAt: Date? = nil,
            measuredSeconds: Double? = nil,
            failure: String? = nil
        ) {
            self.step = step
            self.device = device
            self.action = action
            self.state = state
            self.commandedAt = commandedAt
            self.confirmedAt = confirmedAt
            self.measuredSeconds = measuredSeconds
            self.failure = failure
        }

        var normalizedState: String { state.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }

        /// It failed, or needs someone to operate the device by hand: the plant could not do it remotely.
        public var isFailed: Bool {
            if let failure, !failure.isEmpty { return true }
            return ["failed", "manualactionneeded"].contains(normalizedState)
        }

        /// Feedback confirmed it, and nothing failed.
        public var isConfirmed: Bool { normalizedState == "confirmed" && !isFailed }
    }

    /// A plant's outlet valve at report time, as its limit switches measured it.
    public struct PlantOutlet: Codable, Sendable, Hashable {
        public var device: String
        public var name: String
        /// `open`, `closed`, `travelling`, `fault` or `unknown`, from the limit switches.
        public var position: String
        /// `good`, `stale`, `comm-fail` or `out-of-range`: anything but good means ``position`` is not a current
        /// reading, and the renderings never show one without the other.
        public var quality: String

        public init(device: String, name: String, position: String, quality: String) {
            self.device = device
            self.name = name
            self.position = position
            self.quality = quality
        }

        /// The quality is `good`: the position is a current reading.
        public var isGood: Bool {
            quality.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() == "good"
        }
    }
}
