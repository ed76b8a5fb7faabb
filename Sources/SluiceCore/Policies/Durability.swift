/// When a commit is on disk (SLUICE_DURABILITY).
public enum Durability: String, Sendable, CaseIterable {
    /// Every commit is durable when it returns, through power loss: what
    /// "durable before acknowledged" promises API clients.
    case full
    /// Survives a killed process; may lose the last commits on power loss.
    case normal
}
