import Config

/// Every response plan and automatic trigger a configuration gives, by name: the plant-wide plan, one derived
/// plan per device group ("group:<group>"), and each `[[plans]]` entry; and the `[[interlocks]]` as
/// `AutomaticTrigger`s. Built once per configuration, so the daemon, `leveectl check-config` and the drill
/// check all see the same plans.
public struct PlanBook: Sendable, Hashable {
    /// Plans by name, the plant-wide plan first, then groups, then configured plans, each in file order.
    public let plans: [ResponsePlan]
    public let automaticTriggers: [AutomaticTrigger]
    /// References that did not resolve (an interlock naming a missing plan). Config validation reports these
    /// with their key paths first; they are listed here for a configuration built in code.
    public let unresolved: [String]

    public init(config: LeveeConfig) {
        var plans = [DefaultPlans.plantWide(config: config)]
        plans += Set(config.devices.compactMap(\.group)).sorted().map { DefaultPlans.group($0, config: config) }
        for definition in config.plans {
            plans.append(Self.plan(definition, config: config))
        }
        var unresolved: [String] = []
        var triggers: [AutomaticTrigger] = []
        for interlock in config.interlocks {
            guard let plan = plans.first(where: { $0.name == interlock.plan }) else {
                unresolved.append("interlock \"\(interlock.id)\": no plan \"\(interlock.plan)\"")
                continue
            }
            triggers.append(
                AutomaticTrigger(
                    id: interlock.id, condition: interlock.condition, point: interlock.point, plan: plan,
                    description: interlock.description))
        }
        self.plans = plans
        self.automaticTriggers = triggers
        self.unresolved = unresolved
    }

    public var plantWide: ResponsePlan { plans[0] }

    public func plan(_ name: String) -> ResponsePlan? { plans.first { $0.name == name } }

    /// The names a person may give, for "did you mean" and listings.
    public var names: [String] { plans.map(\.name) }

    /// A `[[plans]]` entry as a plan: the steps derived from its groups, then its explicit steps.
    static func plan(_ d: PlanDefinition, config: LeveeConfig) -> ResponsePlan {
        let groups = Set(d.groups)
        var steps = DefaultPlans.derivedSteps(
            for: config.devices.filter { $0.group.map(groups.contains) ?? false }, order: d.order,
            park: config.park != nil)
        for s in d.steps {
            guard let operation = StepOperation(rawValue: s.action) else { continue }
            let line = config.device(s.device)?.line ?? .boundary
            steps.append(
                PlanStep(
                    id: s.id, device: s.device, operation: operation, after: s.after,
                    deadline: s.deadlineSeconds.map { .milliseconds(Int(($0 * 1000).rounded())) }, line: line))
        }
        return ResponsePlan(name: d.id, steps: steps)
    }
}
