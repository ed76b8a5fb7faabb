import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceApp
import SluiceConnectors
import SluiceCore

/// The files and published documents the index must end up holding.
struct World {
    struct Key: Hashable, Comparable, Sendable {
        var tenant: String
        var docId: String
        static func < (a: Key, b: Key) -> Bool { (a.tenant, a.docId) < (b.tenant, b.docId) }
    }

    struct Document {
        var content: String
        var hash: String
    }

    let corpus: String
    let tenants: [String]
    /// tenant → relative path → content, as written.
    var files: [String: [String: String]] = [:]
    /// tenant → docId → content (nil: tombstoned).
    var published: [String: [String: String?]] = [:]
    /// Published changes whose acknowledgement never came: sent again before the comparison.
    var unconfirmed = Set<Key>()
    var serial = 0
    /// Every file action with the time it was made, for reading a failure back (journal.log next to the corpus).
    let journal: FileHandle?

    init(corpus: String, tenants: [String]) {
        self.corpus = corpus
        self.tenants = tenants
        let path = (corpus as NSString).deletingLastPathComponent + "/journal.log"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        journal = FileHandle(forWritingAtPath: path)
    }

    func note(_ line: String) {
        journal?.write(Data("\(Date().timeIntervalSince1970) \(line)\n".utf8))
    }

    static func marker(_ tenant: String) -> String { "owner-\(tenant)-mark" }

    /// Markdown whose every sentence names its owner, so a chunk in the wrong tenant shows.
    static func text(owner: String, seed: UInt64) -> String {
        var random = SplitMix64(seed: seed)
        let words = ["river", "gate", "ledger", "north", "copper", "signal", "harbor", "quiet", "orbit", "maple", "vector", "delta"]
        var text = "# Note \(seed % 100_000)\n\n"
        for paragraph in 0..<(1 + Int(random.next() % 12)) {
            for _ in 0..<(2 + Int(random.next() % 6)) {
                text += "\(marker(owner)) " + (0..<(4 + Int(random.next() % 8))).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " ") + ". "
            }
            text += paragraph % 4 == 3 ? "\n\n## Part \(paragraph)\n\n" : "\n\n"
        }
        return text
    }

    func path(_ tenant: String, _ relative: String) -> String { corpus + "/" + tenant + "/" + relative }

    mutating func create(tenant: String, random: inout SplitMix64) throws {
        serial += 1
        let relative = "d\(random.next() % 5)/f\(serial).md"
        let content = Self.text(owner: tenant, seed: random.next())
        try write(path(tenant, relative), content)
        files[tenant, default: [:]][relative] = content
        note("create \(tenant)/\(relative)")
    }

    /// Rewrites a file in place, or as editors save: a temporary file renamed over it.
    mutating func edit(tenant: String, random: inout SplitMix64) throws -> Bool {
        guard let relative = files[tenant]?.keys.sorted().randomElement(using: &random) else { return false }
        let content = Self.text(owner: tenant, seed: random.next())
        let target = path(tenant, relative)
        if random.next() % 2 == 0 {
            try write(target, content)
        } else {
            let temporary = (target as NSString).deletingLastPathComponent + "/.\((target as NSString).lastPathComponent).tmp"
            try Data(content.utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, target) == 0 else { throw SluiceError(.internal, "rename over \(target) failed: errno \(errno)") }
        }
        files[tenant]?[relative] = content
        note("edit \(tenant)/\(relative)")
        return true
    }

    mutating func move(tenant: String, random: inout SplitMix64) throws -> Bool {
        guard let relative = files[tenant]?.keys.sorted().randomElement(using: &random), let content = files[tenant]?[relative] else { return false }
        serial += 1
        let destination = "d\(random.next() % 5)/m\(serial).md"
        try FileManager.default.createDirectory(atPath: (path(tenant, destination) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard rename(path(tenant, relative), path(tenant, destination)) == 0 else { throw SluiceError(.internal, "rename failed: errno \(errno)") }
        files[tenant]?[relative] = nil
        files[tenant]?[destination] = content
        note("move \(tenant)/\(relative) \(tenant)/\(destination)")
        return true
    }

    /// Renames a whole folder: every file under it moves.
    mutating func moveFolder(tenant: String, random: inout SplitMix64) throws -> Bool {
        let folder = "d\(random.next() % 5)"
        serial += 1
        let destination = "d\(random.next() % 5)/moved\(serial)"
        guard !destination.hasPrefix(folder + "/"), FileManager.default.fileExists(atPath: path(tenant, folder)) else { return false }
        try FileManager.default.createDirectory(atPath: (path(tenant, destination) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard rename(path(tenant, folder), path(tenant, destination)) == 0 else { throw SluiceError(.internal, "rename failed: errno \(errno)") }
        for (relative, content) in files[tenant] ?? [:] where relative.hasPrefix(folder + "/") {
            files[tenant]?[relative] = nil
            files[tenant]?[destination + relative.dropFirst(folder.count)] = content
        }
        note("move-folder \(tenant)/\(folder) \(tenant)/\(destination)")
        return true
    }

    mutating func delete(tenant: String, random: inout SplitMix64) throws -> Bool {
        guard let relative = files[tenant]?.keys.sorted().randomElement(using: &random) else { return false }
        try FileManager.default.removeItem(atPath: path(tenant, relative))
        files[tenant]?[relative] = nil
        note("delete \(tenant)/\(relative)")
        return true
    }

    mutating func deleteFolder(tenant: String, random: inout SplitMix64) throws -> Bool {
        guard let relative = files[tenant]?.keys.sorted().randomElement(using: &random) else { return false }
        let folder = String(relative.split(separator: "/").dropLast().joined(separator: "/"))
        guard !folder.isEmpty else { return false }
        try FileManager.default.removeItem(atPath: path(tenant, folder))
        for key in (files[tenant] ?? [:]).keys where key.hasPrefix(folder + "/") { files[tenant]?[key] = nil }
        note("delete-folder \(tenant)/\(folder)")
        return true
    }

    /// A hostile link: to another tenant's file or folder, or out of the corpus. Never indexed.
    mutating func link(tenant: String, random: inout SplitMix64) throws {
        serial += 1
        let other = tenants.filter { $0 != tenant }.randomElement(using: &random) ?? tenant
        let targets = ["../../\(other)", "/etc", "../../\(other)/" + (files[other]?.keys.sorted().randomElement(using: &random) ?? "d0/x.md")]
        let name = path(tenant, "d\(random.next() % 5)/link\(serial)" + (random.next() % 2 == 0 ? ".md" : ""))
        try FileManager.default.createDirectory(atPath: (name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: name, withDestinationPath: targets[Int(random.next() % 3)])
    }

    /// A docId to publish (new, or one published before) and new content for it.
    mutating func publishable(tenant: String, random: inout SplitMix64) -> (String, String) {
        let known = (published[tenant] ?? [:]).keys.sorted()
        let docId: String
        if !known.isEmpty && random.next() % 2 == 0 {
            docId = known[Int(random.next() % UInt64(known.count))]
        } else {
            serial += 1
            docId = "api/p\(serial).md"
        }
        return (docId, Self.text(owner: tenant, seed: random.next()))
    }

    func expectedDocuments() throws -> [Key: Document] {
        var expected: [Key: Document] = [:]
        for (tenant, files) in files {
            for (relative, content) in files { expected[Key(tenant: tenant, docId: relative)] = Document(content: content, hash: ContentHash.of(content).hex) }
        }
        for (tenant, documents) in published {
            for case (let docId, let content?) in documents {
                guard expected[Key(tenant: tenant, docId: docId)] == nil else { throw SluiceError(.internal, "\(tenant)/\(docId) is both a file and a published document") }
                expected[Key(tenant: tenant, docId: docId)] = Document(content: content, hash: ContentHash.of(content).hex)
            }
        }
        return expected
    }

    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // In place (open, truncate, write, close), as most programs save.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else { throw SluiceError(.internal, "could not write \(path): errno \(errno)") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Foundation.write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw SluiceError(.internal, "short write to \(path)")
        }
    }
}
