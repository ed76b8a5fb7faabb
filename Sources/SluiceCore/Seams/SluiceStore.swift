/// Everything a storage backend keeps for Sluice: the queue and its
/// administration, document and file state, published content, API keys,
/// reports, the embedding cache and maintenance. The composition root opens
/// one and hands each part of Sluice only the roles it uses.
///
/// The embedded vector index (`VectorIndex`) is not part of it: only the
/// embedded sink needs one.
public typealias SluiceStore = JobQueue & QueueRepair & DeadLetterAdministration & DocumentStateStore & FileStateStore
    & DocumentPublisher & APIKeyStore & ReportingStore & EmbeddingCache & StoreMaintenance
