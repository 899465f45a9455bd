/// The one version string of Levee: what `--version` prints on leveed, leveectl, levee-web and levee-sim.
///
/// The package's version is the top entry of packaging/changelog; a test (LeveeVersionTests) fails when the two
/// differ, so a release that bumps the changelog bumps this too.
public enum LeveeVersion {
    public static let current = "0.2.0"
}
