extension Duration {
    /// The duration in seconds as a Double, for arithmetic with stroke times and poll intervals.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
