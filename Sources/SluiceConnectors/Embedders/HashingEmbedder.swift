import SluiceCore

/// A deterministic, offline embedder: the "hashing trick" over lowercased
/// word unigrams and bigrams, L2-normalized.
///
/// It needs no model or network and captures lexical overlap, which makes
/// it the right default for a tool that must run anywhere, and for tests.
/// A real model plugs in through the same `Embedder` seam.
public struct HashingEmbedder: Embedder {
    public let dimension: Int
    public var identity: String { "hashing-v1" }

    public init(dimension: Int = 384) {
        self.dimension = max(8, dimension)
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map(vector(for:))
    }

    /// The vector of one text.
    public func vector(for text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        let dimension = UInt64(self.dimension)
        var previous: UInt64 = 0
        var hasPrevious = false
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var inWord = false
        vector.withUnsafeMutableBufferPointer { out in
            func add(_ h: UInt64, weight: Float) {
                let mixed = HashingEmbedder.mix(h)
                let index = Int(mixed % dimension)
                out[index] += (mixed >> 63) == 0 ? weight : -weight
            }
            func endWord() {
                add(hash, weight: 1)
                if hasPrevious { add(previous &* 31 ^ hash &+ 0x9e37_79b9_7f4a_7c15, weight: 0.5) }
                previous = hash
                hasPrevious = true
                hash = 0xcbf2_9ce4_8422_2325
                inWord = false
            }
            for var byte in text.utf8 {
                let isWordByte = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte >= 0x80
                if isWordByte {
                    if byte >= 0x41 && byte <= 0x5A { byte += 32 }
                    hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
                    inWord = true
                } else if inWord {
                    endWord()
                }
            }
            if inWord { endWord() }
        }
        VectorMath.normalize(&vector)
        return vector
    }

    /// A finalizer (splitmix64) so nearby FNV hashes spread over the buckets.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
