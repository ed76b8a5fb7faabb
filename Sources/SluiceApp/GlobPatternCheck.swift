import SluiceWatch

/// Validates `--include` / `--exclude` patterns up front, for exit code 2.
enum GlobPatternCheck {
    static func validate(_ pattern: String) throws -> GlobPattern {
        try GlobPattern(pattern)
    }
}
