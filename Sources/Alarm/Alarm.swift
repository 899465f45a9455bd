// The Alarm module: Levee's pure alarm engine, with no I/O and no dependency but Foundation.
//
// - `Condition` / `ConditionState`: "value ≥ limit for T, with deadband", shared with the shutoff interlocks.
// - `AlarmDefinition`, `AlarmPresets`: what is alarmed, and ready-made gas and dust alarms.
// - `AlarmEngine`: ISA-18.2 states, device-health alarms, first-out, flood, snapshot and restore; each event
//   returns `AlarmAction`s for the daemon to perform.
