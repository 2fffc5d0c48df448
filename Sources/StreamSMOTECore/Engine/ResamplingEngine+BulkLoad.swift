extension ResamplingEngine {
    /// Prepares the reservoir of minority class `label` for its next samples, when all of them
    /// are known in advance (`resample` over a file): `rows` are their features, in the order
    /// they will be ingested. The reservoir's graph then links them through an index instead
    /// of a distance pass each (``NeighborGraph/prepareInserts(_:workers:strategy:)``), with
    /// exactly the result of plain inserts; if the ingested samples differ, it falls back to
    /// scanning. No-op for a label without a reservoir or a reservoir that already held samples.
    /// - Returns: the strategy the graph chose.
    @discardableResult
    public mutating func prepareReservoirInserts(
        label: String, rows: UnsafeBufferPointer<Float>, workers: Int = 1, strategy: BulkInsertStrategy? = nil
    ) -> BulkInsertStrategy {
        guard let c = classByLabel[label], reservoirIndex[Int(c)] >= 0 else { return .scan }
        return reservoirs[reservoirIndex[Int(c)]].graph.prepareInserts(rows, workers: workers, strategy: strategy)
    }

    /// Prepares the neighbourhood over all classes (Borderline-SMOTE, ADASYN, cleaning) for its
    /// next points, given in the order they will enter it (majority-sample points and reservoir
    /// samples, as ingested); see ``prepareReservoirInserts(label:rows:workers:strategy:)``.
    @discardableResult
    public mutating func prepareNeighborhoodInserts(
        rows: UnsafeBufferPointer<Float>, workers: Int = 1, strategy: BulkInsertStrategy? = nil
    ) -> BulkInsertStrategy {
        guard neighborhood != nil else { return .scan }
        return neighborhood!.graph.prepareInserts(rows, workers: workers, strategy: strategy)
    }
}
