/// This build's version: `sluice --version`, the `sluice_build_info` metric
/// and the User-Agent of Sluice's requests. Raised with each release.
public enum SluiceVersion {
    public static let current = "0.16.0"

    /// The User-Agent header of Sluice's HTTP requests.
    public static var userAgent: String { "sluice/\(current)" }
}
