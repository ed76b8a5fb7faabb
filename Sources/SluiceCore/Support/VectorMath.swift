/// Vector arithmetic for the embedded index, written so the compiler emits SIMD.
public enum VectorMath {
    /// Dot product of two equally long float buffers.
    @inlinable
    public static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        let count = min(a.count, b.count)
        var acc0 = SIMD8<Float>.zero
        var acc1 = SIMD8<Float>.zero
        var index = 0
        let rawA = UnsafeRawPointer(a.baseAddress!)
        let rawB = UnsafeRawPointer(b.baseAddress!)
        while index + 16 <= count {
            acc0 += rawA.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            acc1 += rawA.loadUnaligned(fromByteOffset: (index + 8) * 4, as: SIMD8<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: (index + 8) * 4, as: SIMD8<Float>.self)
            index += 16
        }
        var sum = (acc0 + acc1).sum()
        while index < count {
            sum += a[index] * b[index]
            index += 1
        }
        return sum
    }

    /// Scales `vector` to unit length (left as is when it is all zeros).
    public static func normalize(_ vector: inout [Float]) {
        var norm: Float = 0
        for value in vector { norm += value * value }
        guard norm > 0 else { return }
        let scale = 1 / norm.squareRoot()
        for index in vector.indices { vector[index] *= scale }
    }
}

/// Keeps the `k` best-scoring items seen so far.
public struct TopK<Item> {
    public let k: Int
    private(set) var items: [(score: Float, item: Item)] = []
    private var worst: Float = -.infinity

    public init(k: Int) {
        self.k = max(0, k)
        items.reserveCapacity(self.k + 1)
    }

    public mutating func offer(_ score: Float, _ item: @autoclosure () -> Item) {
        guard k > 0 else { return }
        if items.count < k {
            items.append((score, item()))
            if items.count == k { worst = items.map(\.score).min() ?? -.infinity }
            return
        }
        guard score > worst else { return }
        let index = items.firstIndex { $0.score == worst }!
        items[index] = (score, item())
        worst = items.map(\.score).min() ?? -.infinity
    }

    /// Best first.
    public var sorted: [(score: Float, item: Item)] { items.sorted { $0.score > $1.score } }
}
