import SluiceCore

/// The API's publisher, counting changes that were folded into a pending
/// change of the same document (`sluice_changes_superseded_total`).
struct MeteredPublisher: DocumentPublisher {
    let base: any DocumentPublisher
    let metrics: SluiceMetrics

    func publish(_ publications: [Publication]) async throws -> [PublishOutcome] {
        let outcomes = try await base.publish(publications)
        for case .coalesced in outcomes { metrics.superseded() }
        return outcomes
    }

    func contents(_ wanted: [ContentRef], byteLimit: Int) async throws -> [ContentRef: [UInt8]?] {
        try await base.contents(wanted, byteLimit: byteLimit)
    }
}
