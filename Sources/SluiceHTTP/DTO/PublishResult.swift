/// The answer (202) to a publish or a document delete.
struct PublishResult: Encodable {
    var tenant: String
    var docId: String
    var revision: Int64
    var status: String
    var state: DocumentView?
}
