import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceApp
import SluiceConnectors
import SluiceCore

/// What the chaos does: one random action, or an inotify overflow.
extension ChaosBenchmark {
    /// One random action on the files or through the API.
    func act(world: inout World, api: APIClient, random: inout SplitMix64, counts: inout Counts) async throws {
        let tenant = tenantNames[Int(random.next() % UInt64(tenantNames.count))]
        switch random.next() % 100 {
        case 0..<18: try world.create(tenant: tenant, random: &random); counts.creates += 1
        case 18..<42: if try world.edit(tenant: tenant, random: &random) { counts.edits += 1 }
        case 42..<50: if try world.move(tenant: tenant, random: &random) { counts.moves += 1 }
        case 50..<52: if try world.moveFolder(tenant: tenant, random: &random) { counts.folderMoves += 1 }
        case 52..<60: if try world.delete(tenant: tenant, random: &random) { counts.deletes += 1 }
        case 60..<61: if try world.deleteFolder(tenant: tenant, random: &random) { counts.folderDeletes += 1 }
        case 61..<63: try world.link(tenant: tenant, random: &random); counts.links += 1
        case 63..<80:
            let (docId, content) = world.publishable(tenant: tenant, random: &random)
            counts.publishes += 1
            let key = World.Key(tenant: tenant, docId: docId)
            world.published[tenant, default: [:]][docId] = content
            if try await api.send(key: key, content: content) { world.unconfirmed.remove(key) } else { world.unconfirmed.insert(key); counts.unansweredRequests += 1 }
        case 80..<86:
            var documents: [(World.Key, String)] = []
            for _ in 0..<(2 + Int(random.next() % 30)) {
                let (docId, content) = world.publishable(tenant: tenant, random: &random)
                world.published[tenant, default: [:]][docId] = content
                documents.removeAll { $0.0.docId == docId }
                documents.append((World.Key(tenant: tenant, docId: docId), content))
            }
            counts.batches += 1
            let priority = ["low", "normal", "high"][Int(random.next() % 3)]
            if try await api.batch(tenant: tenant, documents: documents, priority: priority) {
                for (key, _) in documents { world.unconfirmed.remove(key) }
            } else {
                for (key, _) in documents { world.unconfirmed.insert(key) }
                counts.unansweredRequests += 1
            }
        case 86..<95:
            guard let docId = world.published[tenant]?.filter({ $0.value != nil }).keys.sorted().randomElement(using: &random) else { return }
            counts.tombstones += 1
            let key = World.Key(tenant: tenant, docId: docId)
            world.published[tenant]?[docId] = .some(nil)
            if try await api.send(key: key, content: nil) { world.unconfirmed.remove(key) } else { world.unconfirmed.insert(key); counts.unansweredRequests += 1 }
        default:
            // A publish under another tenant's name with this tenant's key: must be refused.
            let other = tenantNames.filter { $0 != tenant }.randomElement(using: &random) ?? tenant
            counts.foreignPublishes += 1
            try await api.publishForeign(keyOf: tenant, to: other, docId: "stolen/\(random.next() % 1000).md", content: World.text(owner: tenant, seed: random.next()))
        }
    }

    /// A real kernel queue overflow: the child is stopped (SIGSTOP) while
    /// more events than `max_queued_events` are made, with real changes
    /// among them that only a rescan can find, then continued.
    func overflow(child: Child, world: inout World, random: inout SplitMix64, counts: inout Counts) async throws {
        let limit = Int((try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 16_384
        let tenant = tenantNames[Int(random.next() % UInt64(tenantNames.count))]
        child.signal(SIGSTOP)
        world.note("SIGSTOP")
        defer {
            child.signal(SIGCONT)
            world.note("SIGCONT")
        }
        // Create, close and delete in the tenant's folder (watched since the start; a new
        // folder would not be watched until the stopped child read its creation): three
        // events each, nothing left behind.
        for index in 0..<(limit / 3 + 2_000) {
            let path = world.corpus + "/" + tenant + "/noise\(index).md"
            _ = FileManager.default.createFile(atPath: path, contents: Data("noise".utf8))
            unlink(path)
            if index % 500 == 0 {
                // Real changes hidden in the flood.
                try world.create(tenant: tenant, random: &random)
                counts.creates += 1
                if try world.edit(tenant: tenant, random: &random) { counts.edits += 1 }
                if try world.delete(tenant: tenant, random: &random) { counts.deletes += 1 }
            }
        }
    }
}
