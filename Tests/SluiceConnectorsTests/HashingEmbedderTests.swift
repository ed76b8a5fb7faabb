import SluiceConnectors
import SluiceCore
import Testing

@Suite struct HashingEmbedderTests {
    let embedder = HashingEmbedder(dimension: 384)

    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in VectorMath.dot(x, y) } }
    }

    @Test func isDeterministicNormalizedAndOfTheRightDimension() async throws {
        let vectors = try await embedder.embed(["vacation policy days", "vacation policy days", ""])
        #expect(vectors.count == 3)
        #expect(vectors[0] == vectors[1])
        #expect(vectors.allSatisfy { $0.count == 384 })
        #expect(abs(cosine(vectors[0], vectors[0]) - 1) < 1e-5)
        #expect(vectors[2].allSatisfy { $0 == 0 }, "no words, no direction")
    }

    @Test func sharedWordsMeanHigherSimilarity() {
        let query = embedder.vector(for: "How many vacation days do I get?")
        let related = embedder.vector(for: "Everyone gets 30 days of paid vacation per year.")
        let unrelated = embedder.vector(for: "Deploys run from the main branch after a green build.")
        #expect(cosine(query, related) > cosine(query, unrelated))
        #expect(embedder.vector(for: "Vacation DAYS") == embedder.vector(for: "vacation days"), "case does not matter")
    }
}
