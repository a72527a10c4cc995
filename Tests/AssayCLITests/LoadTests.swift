import Testing

/// Tests that put real load on the machine or time it (the example server under load, assay watch, capacity
/// measurements, the agent with Prometheus, repeated audits): run one at a time, so they do not skew each other.
@Suite(.serialized) struct LoadTests {}
