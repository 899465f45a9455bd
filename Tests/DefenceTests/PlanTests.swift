import Config
import Testing

@testable import Defence

struct PlanTests {
    @Test func plantWidePlanFollowsLinesAndRoles() {
        let plan = DefaultPlans.plantWide(config: Fixture.config())
        let got = plan.steps.map { "\($0.operation.commandName) \($0.device)" }
        // Line 1, then line 2, then line 3; file order within a line; park gates and the fire pump stay out.
        #expect(
            got == [
                "close bund-a-rain", "open bund-a-accident", "close bund-b-rain",
                "open pool-inlet", "close pool-bypass", "start transfer-1",
                "close outlet-1", "close sewage-1",
            ])
        #expect(plan.steps.allSatisfy { $0.after.isEmpty })
        #expect(plan.step("close-outlet-1")?.line == .boundary)
        #expect(plan.readinessProblems(config: Fixture.config()).isEmpty)
    }

    @Test func groupPlanCoversOneRiskUnit() {
        let plan = DefaultPlans.group("tank-farm-A", config: Fixture.config())
        #expect(plan.name == "group:tank-farm-A")
        #expect(plan.steps.map(\.id) == ["close-bund-a-rain", "open-bund-a-accident"])
    }

    @Test func readinessNamesPlanStepAndDevice() {
        var devices = Fixture.plant
        devices[0] = Fixture.valve("outlet-1", line: .boundary, role: .rainOutlet, commands: ["open"])
        let config = Fixture.config(devices)
        let plan = ResponsePlan(
            name: "custom",
            steps: [
                PlanStep(device: "outlet-1", operation: .closeValve, line: .boundary),
                PlanStep(device: "ghost-valve", operation: .closeValve, line: .boundary),
                PlanStep(device: "transfer-1", operation: .closeValve, after: ["nope"], line: .networkAndPool),
            ])
        let problems = plan.readinessProblems(config: config).map(\.description)
        #expect(
            problems == [
                "plan \"custom\" step \"close-outlet-1\": device \"outlet-1\" has no \"close\" command",
                "plan \"custom\" step \"close-ghost-valve\": device \"ghost-valve\" does not exist",
                "plan \"custom\" step \"close-transfer-1\": waits for step \"nope\", which is not in the plan",
                "plan \"custom\" step \"close-transfer-1\": device \"transfer-1\" is a pump, the step needs a valve",
            ])
    }

    @Test func pumpWithoutStartIsNotReady() {
        var devices = Fixture.plant
        devices[6].commands = Fixture.commandTable(["stop"])
        let problems = DefaultPlans.plantWide(config: Fixture.config(devices)).readinessProblems(
            config: Fixture.config(devices))
        #expect(problems.map(\.step) == ["start-transfer-1"])
        #expect(problems.first?.problem == .missingCommand("start"))
    }
}
