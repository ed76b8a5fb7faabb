/// The body of `POST /v1/search`.
struct SearchRequest: Decodable {
    var tenant: String
    var query: String
    var k: Int?
    /// Only documents whose `meta.attributes` hold all of these values.
    var filter: Filter?

    struct Filter: Decodable {
        var attributes: [String: String]?
    }
}
