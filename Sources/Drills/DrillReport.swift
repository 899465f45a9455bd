import Foundation

/// Placeholder; the drill report model and its renderers land here.
public enum Drills {}
