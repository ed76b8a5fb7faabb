import Foundation
import SluiceCore
import SluiceTesting
import SluiceWatch
import Testing

@Suite struct DirectoryScannerTests {
    func scan(_ root: TenantRoot, rules: IgnoreRules = IgnoreRules()) throws -> (files: [String: ScannedFile], report: DirectoryScanner.Report) {
        var files: [String: ScannedFile] = [:]
        let report = try DirectoryScanner(rules: rules).walk(root) { files[$0.key.docId.rawValue] = $0 }
        return (files, report)
    }

    @Test func findsFilesAndIgnoresHiddenAndTemporaryOnes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("acme/a.md", "a")
        try dir.write("acme/sub folder/b c.txt", "b")
        try dir.write("acme/.hidden/x.md", "x")
        try dir.write("acme/.env", "x")
        try dir.write("acme/draft.md.swp", "x")
        try dir.write("acme/drafts/d.md", "d")
        try dir.write("acme/.sluiceignore", "drafts/\n")
        let root = TenantRoot(tenant: try TenantID("acme"), directory: dir.path + "/acme", scanRoot: dir.path)
        let (files, report) = try scan(root)
        #expect(Set(files.keys) == ["a.md", "sub folder/b c.txt"])
        #expect(report.problems.isEmpty)
        #expect(files["a.md"]?.stat.size == 1)
    }

    @Test func docIdsAreNFCNormalized() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let decomposed = "Cafe\u{301}.md"  // NFD on disk
        let path = try dir.write("t/\(decomposed)", "menu")
        let root = TenantRoot(tenant: try TenantID("t"), directory: dir.path + "/t", scanRoot: dir.path + "/t")
        let (files, _) = try scan(root)
        let file = try #require(files["Caf\u{e9}.md"])
        #expect(file.key.docId.rawValue.unicodeScalars.count == 7 && decomposed.unicodeScalars.count == 8, "precomposed é")
        #expect(file.path == path, "the on-disk path keeps its own bytes")
    }

    @Test func symlinksNeverLeadOutOfTheRoot() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("outside/secret.txt", "secret")
        try dir.write("acme/real.md", "real")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/acme/inside-link.md", withDestinationPath: dir.path + "/acme/real.md")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/acme/escape.txt", withDestinationPath: dir.path + "/outside/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/acme/escape-dir", withDestinationPath: dir.path + "/outside")
        let root = TenantRoot(tenant: try TenantID("acme"), directory: dir.path + "/acme", scanRoot: dir.path)
        let (files, _) = try scan(root)
        #expect(Set(files.keys) == ["real.md", "inside-link.md", "escape.txt"])
        #expect(files["inside-link.md"]?.outsideLinkTarget == nil)
        #expect(files["inside-link.md"]?.stat.size == 4, "a link inside the root is followed")
        #expect(files["escape.txt"]?.outsideLinkTarget == dir.path + "/outside/secret.txt", "reported, never followed")
    }

    @Test func discoversTenantFoldersAndReportsWhatCannotBeOne() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("acme/a.md", "a")
        try dir.write("globex/b.md", "b")
        try dir.write("Bad Name/c.md", "c")
        try dir.write("stray.md", "s")
        try dir.write(".hidden/d.md", "d")
        let (roots, problems) = try TenantRoot.discover(root: dir.path, singleTenant: nil)
        #expect(roots.map(\.tenant.rawValue) == ["acme", "globex"])
        #expect(problems.count == 2)
        #expect(problems.contains { $0.contains("Bad Name") && $0.contains("rename") })
        #expect(problems.contains { $0.contains("stray.md") && $0.contains("--tenant") })
        let single = try TenantRoot.discover(root: dir.path + "/acme", singleTenant: try TenantID("solo"))
        #expect(single.roots == [TenantRoot(tenant: try TenantID("solo"), directory: dir.path + "/acme", scanRoot: dir.path + "/acme")])
        #expect(throws: SluiceError.self) { try TenantRoot.discover(root: dir.path + "/missing", singleTenant: nil) }
    }

    @Test func unchangedNeedsEqualNanosecondStatAndANonRacyMtime() {
        let stat = FileStat(size: 10, mtimeNanos: 1_000_000_500, ctimeNanos: 1_000_000_500, inode: 3)
        let recorded = FileState(
            key: DocumentKey(tenant: try! TenantID("t"), docId: try! DocumentID("a.md")), root: "/r", tenantDirectory: "/r/t",
            path: "/r/t/a.md", stat: stat, contentHash: ContentHash.of("x"), recordedAtNanos: 2_000_000_000)
        #expect(recorded.isUnchanged(comparedTo: stat))
        var sameSecond = stat
        sameSecond.mtimeNanos += 1  // same size, same whole second
        #expect(!recorded.isUnchanged(comparedTo: sameSecond))
        var moved = stat
        moved.inode = 4
        #expect(!recorded.isUnchanged(comparedTo: moved))
        var racy = recorded
        racy.recordedAtNanos = stat.mtimeNanos  // recorded in the same tick the file was written
        #expect(!racy.isUnchanged(comparedTo: stat), "a racy entry is hashed again")
    }
}
