import Crypto
import Foundation

/// Deterministic chunk ids: UUIDv5 (RFC 9562) of tenant, docId and ordinal.
///
/// A retried write produces the same ids, so it leaves the same state, and
/// the stale chunks of a shorter new version can be deleted by id.
public enum ChunkID {
    /// Sluice's UUIDv5 namespace (itself a v5 UUID of "sluice" in the URL namespace).
    public static let namespace = UUID(uuidString: "3b3c0d0e-4d5b-5a4e-9f35-51a1c3e0b7a2")!

    public static func make(tenant: TenantID, docId: DocumentID, ordinal: Int) -> UUID {
        uuidV5(namespace: namespace, name: "\(tenant.rawValue)\u{0}\(docId.rawValue)\u{0}\(ordinal)")
    }

    /// The chunk id as stored and as sinks name points: lowercase UUID text.
    public static func string(_ key: DocumentKey, ordinal: Int) -> String {
        make(tenant: key.tenant, docId: key.docId, ordinal: ordinal).uuidString.lowercased()
    }

    /// RFC 9562 section 5.5: SHA-1 of namespace bytes plus name, version 5, variant 10.
    public static func uuidV5(namespace: UUID, name: String) -> UUID {
        var bytes = withUnsafeBytes(of: namespace.uuid) { Array($0) }
        bytes.append(contentsOf: name.utf8)
        var digest = Array(Insecure.SHA1.hash(data: bytes).prefix(16))
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        return digest.withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
    }
}

/// The content hash recorded for a tombstone: deterministic per document and
/// never equal to a 64-hex-digit content hash.
public enum Tombstone {
    public static func marker(tenant: TenantID, docId: DocumentID) -> String {
        "tombstone:" + hash(tenant: tenant, docId: docId).hex
    }

    /// The hash behind the marker: SHA-256 of tenant, NUL and document id.
    public static func hash(tenant: TenantID, docId: DocumentID) -> ContentHash {
        ContentHash.of("\(tenant.rawValue)\u{0}\(docId.rawValue)")
    }
}
