import CSluiceKernels
import Dispatch
import Synchronization

/// Vectors kept in memory for a fast approximate scan: each component a
/// 7-bit integer (-63…63) times one scale per vector (its largest magnitude
/// over 63), a quarter of the floats' size. Scores are approximate dot
/// products; the caller re-scores the best candidates with the exact vectors.
///
/// The scan is `sluice_dot_codes` (CSluiceKernels): AVX2's byte multiply-add
/// where the processor has it, SSE2 otherwise. 7 bits, not 8: AVX2 multiplies
/// unsigned by signed bytes and adds pairs in 16 bits, which two products of
/// 63 × 63 fit.
public struct QuantizedVectors: Sendable {
    public let dimension: Int
    /// Bytes per vector: the dimension rounded up to 32, zeros after it, so a scan loads whole 32-byte blocks.
    let stride: Int
    private var codes: [Int8] = []
    private var scales: [Float] = []

    public init(dimension: Int) {
        self.dimension = dimension
        stride = (dimension + 31) / 32 * 32
    }

    public var count: Int { scales.count }

    /// Memory held, in bytes.
    public var bytes: Int { codes.capacity + scales.capacity * 4 }

    public mutating func reserve(_ count: Int) {
        codes.reserveCapacity(count * stride)
        scales.reserveCapacity(count)
    }

    /// Adds `vector` (of `dimension` components; a shorter one is padded with zeros).
    public mutating func append(_ vector: UnsafeBufferPointer<Float>) {
        let start = codes.count
        codes.append(contentsOf: repeatElement(0, count: stride))
        let scale = codes.withUnsafeMutableBufferPointer { codes in
            Self.quantize(vector, into: UnsafeMutableBufferPointer(rebasing: codes[start..<(start + stride)]))
        }
        scales.append(scale)
    }

    /// Writes the codes of `vector` into `codes` (zeros past its end) and returns its scale.
    static func quantize(_ vector: UnsafeBufferPointer<Float>, into codes: UnsafeMutableBufferPointer<Int8>) -> Float {
        let count = min(vector.count, codes.count)
        var largest: Float = 0
        for index in 0..<count where vector[index].isFinite { largest = max(largest, abs(vector[index])) }
        guard largest > 0 else { return 0 }
        let inverse = 63 / largest
        for index in 0..<count {
            let value = vector[index] * inverse
            // |value| <= 63 for every finite component; rounded half away from zero.
            codes[index] = value.isFinite ? Int8(truncatingIfNeeded: Int32(value + (value < 0 ? -0.5 : 0.5))) : 0
        }
        return largest / 63
    }

    /// The `limit` vectors with the highest approximate dot product with
    /// `query`, best first, leaving out those `excluded` marks (none when nil;
    /// one flag per vector: a closure called per vector cost the scan more
    /// than its dot products). The scan is split over `parts` threads.
    public func nearest(_ query: [Float], limit: Int, parts: Int = 2, excluded: [Bool]? = nil) -> [(score: Float, index: Int)] {
        guard limit > 0, count > 0 else { return [] }
        var queryCodes = [Int8](repeating: 0, count: stride)
        let queryScale = query.withUnsafeBufferPointer { query in queryCodes.withUnsafeMutableBufferPointer { Self.quantize(query, into: $0) } }
        let parts = max(1, min(parts, count / 4096 + 1))
        let share = (count + parts - 1) / parts
        let found = Mutex<[(score: Float, index: Int)]>([])
        codes.withUnsafeBufferPointer { codes in
            scales.withUnsafeBufferPointer { scales in
                queryCodes.withUnsafeBufferPointer { queryCodes in
                    let (codes, scales, queryCodes) = (UnsafeSendable(codes), UnsafeSendable(scales), UnsafeSendable(queryCodes))
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        var best = TopK<Int>(k: limit)
                        let end = min(count, (part + 1) * share)
                        var dots = [Int32](repeating: 0, count: 1024)
                        var first = part * share
                        while first < end {
                            let block = min(1024, end - first)
                            dots.withUnsafeMutableBufferPointer { dots in
                                sluice_dot_codes(
                                    queryCodes.value.baseAddress!, codes.value.baseAddress! + first * stride, stride, block, dots.baseAddress!)
                            }
                            for offset in 0..<block {
                                let index = first + offset
                                if let excluded, excluded[index] { continue }
                                best.offer(Float(dots[offset]) * scales.value[index] * queryScale, index)
                            }
                            first += block
                        }
                        let sorted = best.sorted
                        found.withLock { $0 += sorted.map { ($0.score, $0.item) } }
                    }
                }
            }
        }
        return Array(found.withLock { $0 }.sorted { $0.score > $1.score }.prefix(limit))
    }

    /// Which scan kernel this processor gets: "avx2", "sse2" or "portable".
    public static var kernel: String { String(cString: sluice_dot_codes_kernel()) }
}

/// A buffer handed to the scan's threads, which only read it while its owner waits for them.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
