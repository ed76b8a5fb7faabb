/// A document's stored content: published over the API, kept by document and hash.
public struct ContentRef: Hashable, Sendable {
    public var key: DocumentKey
    public var hash: ContentHash

    public init(key: DocumentKey, hash: ContentHash) {
        self.key = key
        self.hash = hash
    }
}
