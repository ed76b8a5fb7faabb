import Foundation
@testable import SluiceHTTP
import Testing

/// Every answer the API tests get is checked against `openapi.json`: the
/// operation (by method and path template) must document the status, and a
/// JSON body must match its schema. Response objects are read as closed: a
/// field the document does not name is reported too, so the document stays
/// complete, not only true.
enum OpenAPIValidation {
    /// A JSON value as the wire has it (booleans apart from numbers).
    indirect enum JSON: Decodable {
        case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSON]), object([String: JSON])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(Int64.self) { self = .integer(value) }
            else if let value = try? container.decode(Double.self) { self = .number(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else if let value = try? container.decode([JSON].self) { self = .array(value) }
            else { self = .object(try container.decode([String: JSON].self)) }
        }

        var typeName: String {
            switch self {
            case .null: "null"
            case .bool: "boolean"
            case .integer: "integer"
            case .number: "number"
            case .string: "string"
            case .array: "array"
            case .object: "object"
            }
        }
    }

    /// Read once and never changed: safe to share.
    nonisolated(unsafe) static let document: [String: Any] = (try? JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes))) as? [String: Any] ?? [:]

    /// The problems of one answer; empty when it matches the document.
    static func problems(method: String, path: String, status: Int, contentType: String?, body: Data) -> [String] {
        let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard let (template, operation) = operation(method: method.lowercased(), path: route) else {
            return []  // not an operation of the API (an unknown route; its JSON error is tested on its own)
        }
        let responses = operation["responses"] as? [String: Any] ?? [:]
        guard var response = (responses[String(status)] ?? responses["default"]) as? [String: Any] else {
            return ["\(method) \(template) answered \(status), which the document does not list (it lists \(responses.keys.sorted()))"]
        }
        if let reference = response["$ref"] as? String { response = resolve(reference) }
        let content = response["content"] as? [String: Any] ?? [:]
        guard let contentType, contentType.hasPrefix("application/json") else { return [] }
        guard let schema = (content["application/json"] as? [String: Any])?["schema"] as? [String: Any] else {
            return ["\(method) \(template) \(status): a JSON body where the document names none"]
        }
        guard let value = try? JSONDecoder().decode(JSON.self, from: body) else { return ["\(method) \(template) \(status): the body is not JSON"] }
        var found: [String] = []
        check(value, schema, at: "\(method) \(template) \(status) $", into: &found)
        return found
    }

    static func operation(method: String, path: String) -> (String, [String: Any])? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (template, item) in document["paths"] as? [String: Any] ?? [:] {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count,
                zip(parts, segments).allSatisfy({ ($0.hasPrefix("{") && !$1.isEmpty) || $0 == $1 }),
                let operation = (item as? [String: Any])?[method] as? [String: Any]
            else { continue }
            return (template, operation)
        }
        return nil
    }

    static func resolve(_ reference: String) -> [String: Any] {
        var node: Any = document
        for part in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] ?? [:] }
        return node as? [String: Any] ?? [:]
    }

    static func check(_ value: JSON, _ schema: [String: Any], at place: String, into found: inout [String]) {
        if let reference = schema["$ref"] as? String { return check(value, resolve(reference), at: place, into: &found) }
        let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        let matchesType = types.isEmpty || types.contains(value.typeName) || (value.typeName == "integer" && types.contains("number"))
        guard matchesType else { return found.append("\(place): \(value.typeName) where the document says \(types)") }
        switch value {
        case .string(let text):
            if let allowed = schema["enum"] as? [String], !allowed.contains(text) { found.append("\(place): \"\(text)\" is not one of \(allowed)") }
            if schema["format"] as? String == "date-time", (try? Date(text, strategy: .iso8601)) == nil,
                (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) == nil
            {
                found.append("\(place): \"\(text)\" is not a date-time")
            }
        case .array(let items):
            if let itemSchema = schema["items"] as? [String: Any] {
                for (index, item) in items.enumerated() { check(item, itemSchema, at: "\(place)[\(index)]", into: &found) }
            }
        case .object(let fields):
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in schema["required"] as? [String] ?? [] where fields[name] == nil { found.append("\(place): \(name) is required") }
            for (name, field) in fields {
                if let property = properties[name] as? [String: Any] {
                    check(field, property, at: "\(place).\(name)", into: &found)
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    check(field, additional, at: "\(place).\(name)", into: &found)
                } else if schema["additionalProperties"] as? Bool != true {
                    found.append("\(place).\(name): a field the document does not name")
                }
            }
        default: break
        }
    }
}
