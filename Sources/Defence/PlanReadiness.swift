import Config

/// The shutoff plans a configuration gives, checked before the daemon accepts the file: a plan that names a
/// missing device, or asks a device for a command it lacks (a pump with no start command on the network-pool
/// line), is a configuration error, reported like any other with the file's name.
public enum PlanReadiness {
    public static func problems(_ config: LeveeConfig, file: String) -> [String] {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        let book = PlanBook(config: config)
        return (book.plans.flatMap { $0.readinessProblems(config: config) }.map(\.description) + book.unresolved).map {
            "\(name): plans: \($0)"
        }
    }
}
