// The two prompt methods: trained vectors the frozen model reads as if they were part of the
// input.
//
// Prompt tuning (Lester et al., 2021) puts n vectors in front of the input's word embeddings:
// n·hidden parameters, read by the first layer only. Prefix tuning (Li and Liang, 2021) gives
// every layer n keys and values of its own in front of the tokens' (through the models'
// `pastKeyValues`): n·layers·2·hidden parameters, read by every layer. With the
// reparameterisation, the prefixes come out of a small MLP during training, which Li and Liang
// found more stable; once trained, only its output is needed (and saved).

import Foundation
import Models
import TensorCore
import Tokenizers

/// Prompt tuning's virtual tokens (PEFT's `PromptEmbedding`): `embedding` (n, hidden).
public final class PromptEmbedding: Module {
  public let embedding: Embedding

  /// n vectors drawn from N(0, 1), or copied from the word embeddings of `text`'s tokens
  /// (repeated or cut to n), as PEFT's `RANDOM` and `TEXT` initialisations.
  init(
    _ config: PromptTuningConfig, model: any PeftAdaptable, tokenizer: (any Tokenizer)?, generator: Generator
  ) throws {
    let n = config.numVirtualTokens
    let hidden = model.transformerShape.hidden
    embedding = Embedding(n, hidden, generator: generator)
    if case .text(let text) = config.promptTuningInit {
      guard let tokenizer else {
        throw PeftError(
          "PromptTuningConfig: prompt_tuning_init TEXT needs the model's tokenizer (getPeftModel's tokenizer:)"
        )
      }
      // As PEFT: the text's ids with the special tokens the tokenizer adds.
      let ids = tokenizer(text).ids
      guard !ids.isEmpty else { throw PeftError("PromptTuningConfig: prompt_tuning_init_text is empty") }
      let table = model.wordEmbeddingTable
      var values: [Float] = []
      for i in 0..<n {
        let id = ids[i % ids.count]
        values += table.data[(id * hidden)..<((id + 1) * hidden)]
      }
      embedding.weight.data = values
    }
  }

  /// The number of virtual tokens.
  public var numVirtualTokens: Int { embedding.weight.shape[0] }

  /// The prompts for a batch: (batch, n, hidden), one copy per row.
  public func prompts(batch: Int) -> Tensor {
    let (n, hidden) = (embedding.weight.shape[0], embedding.weight.shape[1])
    return embedding.weight.reshape(1, n, hidden).expand(to: [batch, n, hidden])
  }
}

/// Prefix tuning's keys and values (PEFT's `PrefixEncoder`): `embedding` (n, layers·2·hidden),
/// or with the projection `embedding` (n, hidden) → Linear → tanh → Linear (layers·2·hidden).
public final class PrefixEncoder: Module {
  public let embedding: Embedding
  /// The reparameterisation MLP (PEFT's `transform`), when `prefix_projection` is set.
  public let transform: [Linear]?
  let layers: Int
  let heads: Int
  let hidden: Int

  init(_ config: PrefixTuningConfig, layers: Int, heads: Int, hidden: Int, generator: Generator) {
    let width = layers * 2 * hidden
    if config.prefixProjection {
      let inner = config.encoderHiddenSize ?? hidden
      embedding = Embedding(config.numVirtualTokens, hidden, generator: generator)
      transform = [Linear(hidden, inner, generator: generator), Linear(inner, width, generator: generator)]
    } else {
      embedding = Embedding(config.numVirtualTokens, width, generator: generator)
      transform = nil
    }
    self.layers = layers
    self.heads = heads
    self.hidden = hidden
  }

  /// The number of virtual tokens.
  public var numVirtualTokens: Int { embedding.weight.shape[0] }

  /// (n, layers·2·hidden): every layer's keys and values, side by side (what PEFT saves as
  /// `prompt_embeddings`).
  public func table() -> Tensor {
    guard let transform else { return embedding.weight }
    return transform[1](transform[0](embedding.weight).tanh())
  }

  /// One `AttentionPrefix` per layer, each (batch, heads, n, headDim): PEFT's view of the table
  /// as (n, layers·2, heads, headDim), key 2i and value 2i + 1 for layer i.
  public func pastKeyValues(batch: Int) -> [AttentionPrefix] {
    let table = table()
    let n = table.shape[0]
    let headDim = hidden / heads
    func part(_ index: Int) -> Tensor {
      table.slice(axis: 1, (index * hidden)..<((index + 1) * hidden))  // (n, hidden)
        .reshape(1, n, heads, headDim).permute(0, 2, 1, 3)  // (1, heads, n, headDim)
        .expand(to: [batch, heads, n, headDim])
    }
    return (0..<layers).map { AttentionPrefix(key: part(2 * $0), value: part(2 * $0 + 1)) }
  }
}
