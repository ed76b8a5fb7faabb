/// Where one remote destination's delivery controls stand.
public struct DestinationStatus: Sendable, Equatable {
    public enum Circuit: String, Sendable, CaseIterable {
        case closed
        case halfOpen = "half_open"
        case open
    }

    /// Its short stable name (`qdrant`, `embedder`, …), as metrics label it.
    public var name: String
    public var destination: String
    public var circuit: Circuit
    /// When the circuit last left the closed state; nil while closed.
    public var openSince: Timestamp?
    public var concurrencyLimit: Int
    public var inFlight: Int

    public init(name: String, destination: String, circuit: Circuit, openSince: Timestamp?, concurrencyLimit: Int, inFlight: Int) {
        self.name = name
        self.destination = destination
        self.circuit = circuit
        self.openSince = openSince
        self.concurrencyLimit = concurrencyLimit
        self.inFlight = inFlight
    }

    public init(_ gate: DeliveryGate) {
        let snapshot = gate.snapshot
        let circuit: Circuit = switch snapshot.breaker {
        case .closed: .closed
        case .halfOpen: .halfOpen
        case .open: .open
        }
        self.init(
            name: gate.name, destination: gate.destination, circuit: circuit, openSince: snapshot.openSince,
            concurrencyLimit: snapshot.concurrencyLimit, inFlight: snapshot.inFlight)
    }
}
