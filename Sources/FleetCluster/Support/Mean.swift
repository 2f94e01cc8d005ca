/// The arithmetic mean of `values`; 0 for none.
package func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
