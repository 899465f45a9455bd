// The three lines of defence (三道防线): response plans (`ResponsePlan`, `DefaultPlans`), the latching shutoff
// sequencer (`ShutoffSequencer`) and the first-flush switch (`FirstFlushController`). Everything here is a pure
// value: events and the time they happened go in, actions come out, and the daemon performs them. Nothing here
// does I/O, starts threads or sleeps, so every rule is tested with a fake clock.
