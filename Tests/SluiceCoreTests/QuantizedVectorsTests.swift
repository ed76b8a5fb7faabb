import CSluiceKernels
import SluiceCore
import Testing

/// The in-memory scan's codes: its best candidates hold the exact best.
@Suite struct QuantizedVectorsTests {
    static func random(_ count: Int, _ dimension: Int, seed: UInt64) -> [[Float]] {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        return (0..<count).map { _ in
            var vector = (0..<dimension).map { _ in next() }
            VectorMath.normalize(&vector)
            return vector
        }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in VectorMath.dot(a, b) } }
    }

    static func exact(_ query: [Float], _ vectors: [[Float]], k: Int) -> [Int] {
        let scores = vectors.map { dot(query, $0) }
        return Array(scores.indices.sorted { scores[$0] > scores[$1] }.prefix(k))
    }

    /// Dimensions that are not a multiple of the scan's 16-byte blocks, and a larger one, over several threads.
    @Test(arguments: [37, 384]) func theBestFortyHoldTheExactBestTen(dimension: Int) {
        let vectors = Self.random(1000, dimension, seed: UInt64(dimension))
        var codes = QuantizedVectors(dimension: dimension)
        for vector in vectors { vector.withUnsafeBufferPointer { codes.append($0) } }
        #expect(codes.count == 1000)
        for query in Self.random(5, dimension, seed: 7) {
            let found = codes.nearest(query, limit: 40, parts: 3)
            #expect(found.count == 40)
            #expect(zip(found, found.dropFirst()).allSatisfy { $0.score >= $1.score }, "best first")
            let candidates = Set(found.map(\.index))
            let missing = Self.exact(query, vectors, k: 10).filter { !candidates.contains($0) }
            #expect(missing.isEmpty, "the exact best ten are among the forty candidates")
            // The approximate score is close to the exact one.
            let best = found[0]
            let exact = Self.dot(query, vectors[best.index])
            #expect(abs(best.score - exact) < 0.05)
        }
    }

    @Test func theExcludedAreLeftOutAndOddVectorsDoNoHarm() {
        var codes = QuantizedVectors(dimension: 20)
        let vectors = Self.random(100, 20, seed: 3)
        for vector in vectors { vector.withUnsafeBufferPointer { codes.append($0) } }
        // A zero vector, one with NaN and infinity, and a short one.
        for odd: [Float] in [Array(repeating: 0, count: 20), [Float.nan, .infinity, 1] + Array(repeating: 0, count: 17), [1, 2]] {
            odd.withUnsafeBufferPointer { codes.append($0) }
        }
        let found = codes.nearest(vectors[5], limit: 10, excluded: (0..<codes.count).map { $0 % 2 == 0 })
        #expect(found.allSatisfy { $0.index % 2 == 1 } && found.count == 10)
        #expect(codes.nearest(vectors[5], limit: 1).first?.index == 5, "a vector is nearest itself")
        #expect(codes.nearest(vectors[5], limit: 200).count == 103)
    }
}

/// Every scan kernel this processor has gives the plain sum of products, at the extremes of the codes too.
@Suite struct ScanKernelTests {
    @Test func everyKernelAgreesWithThePlainSum() throws {
        let stride = 96
        var state: UInt64 = 11
        func code() -> Int8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int8(Int64(state >> 33) % 127 - 63)
        }
        let count = 37
        var codes = (0..<(count * stride)).map { _ in code() }
        var query = (0..<stride).map { _ in code() }
        // The largest products, all of one sign, in the first vector.
        for index in 0..<stride { (codes[index], query[index]) = (-63, -63) }
        let expected = (0..<count).map { vector in (0..<stride).reduce(Int32(0)) { $0 + Int32(query[$1]) * Int32(codes[vector * stride + $1]) } }
        #expect(expected[0] == 63 * 63 * Int32(stride))
        var ran: [String] = []
        for kernel in ["portable", "sse2", "avx2"] {
            var out = [Int32](repeating: 0, count: count)
            let has = kernel.withCString { name in sluice_dot_codes_using(name, query, codes, stride, count, &out) }
            guard has == 1 else { continue }
            ran.append(kernel)
            #expect(out == expected, "\(kernel)")
        }
        #expect(ran.contains("portable") && ran.contains(QuantizedVectors.kernel), "ran \(ran), the scan uses \(QuantizedVectors.kernel)")
    }
}
