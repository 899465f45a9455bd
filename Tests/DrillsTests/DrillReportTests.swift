import Drills
import Testing

@Suite struct DrillReportTests {}
