/// The answer to `DELETE /v1/tenants/{tenant}`.
struct PurgeResult: Encodable {
    let tenant: String
    /// Documents whose state, chunks and content were removed (their tombstones are queued).
    let documentsRemoved: Int
}

/// The answer of `/healthz` (`ok`) and `/readyz` (`ready`).
struct ServiceStatus: Encodable {
    let status: String
}
