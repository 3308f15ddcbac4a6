// Looking inside an embedding table: cosine neighbours, a 2-D projection (PCA by power
// iteration), how well word groups separate, and the pre-training curves the kit ships.

import Foundation
import TensorCore

/// Rows of a (count, dimension) table as unit vectors in Double (cosine = dot product).
func unitRows(_ table: Tensor, ids: [Int]) -> [[Double]] {
  let d = table.shape[1]
  return ids.map { id in
    let row = (0..<d).map { Double(table.data[id * d + $0]) }
    let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
    return row.map { $0 / norm }
  }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// The `k` candidates most similar (cosine) to `word`, best first.
func nearestNeighbours(_ word: [Double], among candidates: [(token: String, vector: [Double])], k: Int)
  -> [(token: String, similarity: Double)]
{
  Array(candidates.map { ($0.token, dot(word, $0.vector)) }.sorted { $0.1 > $1.1 }.prefix(k))
}

/// The first `count` principal components of `rows` by power iteration on the covariance matrix,
/// with deflation: returns each row's coordinates and the share of the variance each component
/// explains.
func principalComponents(_ rows: [[Double]], count: Int = 2, iterations: Int = 200, generator: Generator)
  -> (coordinates: [[Double]], explained: [Double])
{
  let n = rows.count
  let d = rows[0].count
  let mean = (0..<d).map { j in rows.reduce(0) { $0 + $1[j] } / Double(n) }
  let centred = rows.map { row in zip(row, mean).map { $0 - $1 } }
  // (d, d) covariance.
  var covariance = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
  for row in centred {
    for i in 0..<d where row[i] != 0 {
      for j in 0..<d { covariance[i][j] += row[i] * row[j] / Double(n) }
    }
  }
  let total = (0..<d).reduce(0) { $0 + covariance[$1][$1] }
  var components: [[Double]] = []
  var explained: [Double] = []
  for _ in 0..<count {
    var v = (0..<d).map { _ in Double(generator.normal()) }
    var eigenvalue = 0.0
    for _ in 0..<iterations {
      var w = covariance.map { dot($0, v) }
      for c in components { w = zip(w, c).map { $0 - dot(w, c) * $1 } }  // stay orthogonal
      eigenvalue = max(w.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
      v = w.map { $0 / eigenvalue }
    }
    components.append(v)
    explained.append(total > 0 ? eigenvalue / total : 0)
  }
  return (centred.map { row in components.map { dot(row, $0) } }, explained)
}

/// Leave-one-out nearest-centroid accuracy: each vector is given the group whose centroid (of
/// the other members) it is most similar to. Chance is about 1 / number of groups.
func nearestCentroidAccuracy(_ vectors: [[Double]], groups: [Int]) -> Double {
  let d = vectors[0].count
  let labels = Set(groups).sorted()
  var sums = [Int: [Double]]()
  var counts = [Int: Int]()
  for (v, g) in zip(vectors, groups) {
    sums[g] = zip(sums[g] ?? [Double](repeating: 0, count: d), v).map { $0 + $1 }
    counts[g, default: 0] += 1
  }
  var correct = 0
  for (v, g) in zip(vectors, groups) {
    let best = labels.max { a, b in
      func similarity(_ label: Int) -> Double {
        let own = label == g
        let n = Double(counts[label]! - (own ? 1 : 0))
        guard n > 0 else { return -.infinity }
        let centroid = zip(sums[label]!, v).map { ($0 - (own ? $1 : 0)) / n }
        let norm = max(centroid.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        return dot(v, centroid) / norm
      }
      return similarity(a) < similarity(b)
    }
    if best == g { correct += 1 }
  }
  return Double(correct) / Double(vectors.count)
}

/// The same accuracy with the group labels shuffled `rounds` times: what chance gives on this
/// data. Returns the 95th percentile.
func shuffledBaseline(_ vectors: [[Double]], groups: [Int], rounds: Int, generator: Generator) -> Double {
  let scores = (0..<rounds).map { _ in
    nearestCentroidAccuracy(vectors, groups: generator.shuffled(groups))
  }.sorted()
  return scores[min(scores.count - 1, Int(Double(scores.count) * 0.95))]
}

/// A pre-training curve as `course pretrain` writes it (pretraining.json).
struct PretrainingCurve: Decodable {
  struct Evaluation: Decodable {
    var step: Int
    var loss: Double
    var perplexity: Double
    var accuracy: Double
  }
  var training_loss: [Double]
  var evaluations: [Evaluation]

  init(contentsOf url: URL) throws {
    self = try JSONDecoder().decode(PretrainingCurve.self, from: Data(contentsOf: url))
  }
}

/// The mean of each window of `size` consecutive values, at the window's last index.
func movingAverage(_ values: [Double], size: Int) -> (x: [Double], y: [Double]) {
  guard values.count >= size, size > 0 else { return (values.indices.map(Double.init), values) }
  var sum = values.prefix(size).reduce(0, +)
  var x = [Double(size)]
  var y = [sum / Double(size)]
  for i in size..<values.count {
    sum += values[i] - values[i - size]
    x.append(Double(i + 1))
    y.append(sum / Double(size))
  }
  return (x, y)
}
