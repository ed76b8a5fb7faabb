import Foundation

/// Vectors are stored as little-endian Float32 bytes.
public enum VectorCoding {
    public static func encode(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// Appends the floats in `data` to `buffer`.
    public static func decode(_ data: Data, into buffer: inout [Float]) {
        let count = data.count / MemoryLayout<Float>.size
        data.withUnsafeBytes { raw in
            for index in 0..<count {
                buffer.append(raw.loadUnaligned(fromByteOffset: index * 4, as: Float.self))
            }
        }
    }
}
