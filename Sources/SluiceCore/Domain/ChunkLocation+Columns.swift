/// A chunk's location as both backends' `chunks` tables hold it, in two
/// text columns (SQLite migration v12).
extension ChunkLocation {
    public var headingPathColumn: String? {
        headingPath.isEmpty ? nil : headingPath.joined(separator: "\u{1F}")
    }

    public var placesColumn: String? {
        places.isEmpty ? nil : places.map { "\($0.kind.rawValue)\u{1F}\($0.label)" }.joined(separator: "\u{1E}")
    }

    public init(headingPathColumn: String?, placesColumn: String?) {
        let headings = headingPathColumn.map { $0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init) } ?? []
        let places = (placesColumn?.split(separator: "\u{1E}") ?? []).compactMap { entry -> ChunkPlace? in
            let parts = entry.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let kind = Place.Kind(rawValue: String(parts[0])) else { return nil }
            return ChunkPlace(kind, String(parts[1]))
        }
        self.init(headingPath: headings, places: places)
    }
}
