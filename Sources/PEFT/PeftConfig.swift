// The configurations of the parameter-efficient methods, with PEFT's names and defaults
// (`LoraConfig`, `PromptTuningConfig`, `PrefixTuningConfig`), and how each is written to and
// read from `adapter_config.json`, so that a saved adapter is one PEFT's
// `PeftModel.from_pretrained` loads.

import Foundation

/// What the adapted model does (PEFT's `TaskType`); the kit adapts classifiers.
public enum TaskType: String, Sendable, Codable {
  case seqCls = "SEQ_CLS"
  case causalLM = "CAUSAL_LM"
  case featureExtraction = "FEATURE_EXTRACTION"
}

/// LoRA's settings, as PEFT's `LoraConfig` with its defaults.
public struct LoraConfig: Sendable, Equatable {
  /// The rank of the update B·A.
  public var r: Int
  /// α: the update is scaled by α / r.
  public var loraAlpha: Float
  /// Dropout on the adapter's input, in training only.
  public var loraDropout: Float
  /// Which `Linear` layers get an update: a module whose path is an entry or ends in "." + an
  /// entry. nil: the default for the architecture (`query`,`value` for BERT and RoBERTa,
  /// `c_attn` for GPT-2).
  public var targetModules: [String]?
  /// Which biases train too: `"none"`, `"all"` or `"lora_only"` (those of adapted layers).
  public var bias: String
  /// Modules trained in full and saved with the adapter. For `.seqCls` the classifier head
  /// (`classifier`, `score`) is added, as PEFT does.
  public var modulesToSave: [String]?
  /// True: B starts at zero (the adapted model starts as the base model). False: B random too.
  public var initLoraWeights: Bool
  public var taskType: TaskType

  /// PEFT's defaults: r 8, α 8, no dropout, the architecture's default targets, no bias.
  public init(
    r: Int = 8, loraAlpha: Float = 8, loraDropout: Float = 0, targetModules: [String]? = nil,
    bias: String = "none",
    modulesToSave: [String]? = nil, initLoraWeights: Bool = true, taskType: TaskType = .seqCls
  ) {
    self.r = r
    self.loraAlpha = loraAlpha
    self.loraDropout = loraDropout
    self.targetModules = targetModules
    self.bias = bias
    self.modulesToSave = modulesToSave
    self.initLoraWeights = initLoraWeights
    self.taskType = taskType
  }

  /// PEFT's `TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING` for the kit's architectures.
  public static func defaultTargetModules(modelType: String) -> [String]? {
    switch modelType {
    case "bert", "roberta": return ["query", "value"]
    case "gpt2": return ["c_attn"]
    default: return nil
    }
  }

  /// Throws on values PEFT refuses: a rank below 1, dropout outside [0, 1), an unknown `bias`.
  public func validate() throws {
    guard r >= 1 else { throw PeftError("LoraConfig: r must be at least 1, got \(r)") }
    guard loraAlpha.isFinite, loraAlpha > 0 else {
      throw PeftError("LoraConfig: lora_alpha must be positive, got \(loraAlpha)")
    }
    guard loraDropout >= 0, loraDropout < 1 else {
      throw PeftError("LoraConfig: lora_dropout must be in [0, 1), got \(loraDropout)")
    }
    guard ["none", "all", "lora_only"].contains(bias) else {
      throw PeftError("LoraConfig: bias must be \"none\", \"all\" or \"lora_only\", got \"\(bias)\"")
    }
    if let targetModules, targetModules.isEmpty || targetModules.contains(where: \.isEmpty) {
      throw PeftError("LoraConfig: target_modules must name at least one module, got \(targetModules)")
    }
  }
}

/// How prompt tuning's virtual tokens start (PEFT's `PromptTuningInit`).
public enum PromptTuningInit: Sendable, Equatable {
  /// Drawn from N(0, 1), as a fresh `nn.Embedding`.
  case random
  /// The word embeddings of this text's tokens, repeated or cut to the number of tokens.
  case text(String)
}

/// Prompt tuning's settings (PEFT's `PromptTuningConfig`).
public struct PromptTuningConfig: Sendable, Equatable {
  /// How many vectors are prepended to the input's word embeddings.
  public var numVirtualTokens: Int
  public var promptTuningInit: PromptTuningInit
  public var taskType: TaskType

  public init(
    numVirtualTokens: Int, promptTuningInit: PromptTuningInit = .random, taskType: TaskType = .seqCls
  ) {
    self.numVirtualTokens = numVirtualTokens
    self.promptTuningInit = promptTuningInit
    self.taskType = taskType
  }
}

/// Prefix tuning's settings (PEFT's `PrefixTuningConfig`).
public struct PrefixTuningConfig: Sendable, Equatable {
  /// How many key/value positions every layer gets in front of the tokens.
  public var numVirtualTokens: Int
  /// True: the prefixes come out of a small MLP (Embedding → Linear → tanh → Linear), the
  /// reparameterisation of Li and Liang (2021); false: they are trained directly.
  public var prefixProjection: Bool
  /// The MLP's hidden size (default: the model's hidden size).
  public var encoderHiddenSize: Int?
  public var taskType: TaskType

  public init(
    numVirtualTokens: Int, prefixProjection: Bool = false, encoderHiddenSize: Int? = nil,
    taskType: TaskType = .seqCls
  ) {
    self.numVirtualTokens = numVirtualTokens
    self.prefixProjection = prefixProjection
    self.encoderHiddenSize = encoderHiddenSize
    self.taskType = taskType
  }
}

/// One of the methods, as `adapter_config.json`'s `peft_type` names them.
public enum PeftConfig: Sendable, Equatable {
  case lora(LoraConfig)
  case promptTuning(PromptTuningConfig)
  case prefixTuning(PrefixTuningConfig)

  /// `LORA`, `PROMPT_TUNING` or `PREFIX_TUNING`.
  public var peftType: String {
    switch self {
    case .lora: return "LORA"
    case .promptTuning: return "PROMPT_TUNING"
    case .prefixTuning: return "PREFIX_TUNING"
    }
  }

  var taskType: TaskType {
    switch self {
    case .lora(let c): return c.taskType
    case .promptTuning(let c): return c.taskType
    case .prefixTuning(let c): return c.taskType
    }
  }
}

/// A PEFT configuration or adapter that cannot be used, with the file or option to fix.
public struct PeftError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

// MARK: - adapter_config.json

/// The name of an adapter's configuration file (PEFT's `CONFIG_NAME`).
public let adapterConfigName = "adapter_config.json"
/// The name of an adapter's weights (PEFT's `SAFETENSORS_WEIGHTS_NAME`).
public let adapterWeightsName = "adapter_model.safetensors"

extension PeftConfig {
  /// The JSON object PEFT writes: the method's fields under PEFT's names, plus the base model's
  /// path, the task, and `inference_mode: true` (saving marks an adapter as for inference).
  func json(
    baseModelNameOrPath: String?, targetModules: [String]?, modulesToSave: [String]?, fanInFanOut: Bool,
    layers: Int, heads: Int, tokenDim: Int
  ) -> [String: Any] {
    var object: [String: Any] = [
      "peft_type": peftType, "task_type": taskType.rawValue, "inference_mode": true,
      "base_model_name_or_path": baseModelNameOrPath ?? NSNull(), "revision": NSNull(),
    ]
    switch self {
    case .lora(let c):
      object["r"] = c.r
      object["lora_alpha"] = Double(c.loraAlpha)
      object["lora_dropout"] = Double(c.loraDropout)
      object["target_modules"] = targetModules ?? NSNull()
      object["bias"] = c.bias
      object["modules_to_save"] = modulesToSave ?? NSNull()
      object["init_lora_weights"] = c.initLoraWeights
      object["fan_in_fan_out"] = fanInFanOut
      object["use_rslora"] = false
      object["use_dora"] = false
      object["rank_pattern"] = [String: Any]()
      object["alpha_pattern"] = [String: Any]()
      object["layers_to_transform"] = NSNull()
      object["layers_pattern"] = NSNull()
      object["exclude_modules"] = NSNull()
    case .promptTuning(let c):
      object["num_virtual_tokens"] = c.numVirtualTokens
      switch c.promptTuningInit {
      case .random:
        object["prompt_tuning_init"] = "RANDOM"
        object["prompt_tuning_init_text"] = NSNull()
      case .text(let text):
        object["prompt_tuning_init"] = "TEXT"
        object["prompt_tuning_init_text"] = text
      }
      object["tokenizer_name_or_path"] = baseModelNameOrPath ?? NSNull()
    case .prefixTuning(let c):
      object["num_virtual_tokens"] = c.numVirtualTokens
      object["prefix_projection"] = c.prefixProjection
      object["encoder_hidden_size"] = c.encoderHiddenSize ?? tokenDim
    }
    if case .lora = self {
    } else {
      object["token_dim"] = tokenDim
      object["num_layers"] = layers
      object["num_attention_heads"] = heads
      object["num_transformer_submodules"] = 1
      object["modules_to_save"] = modulesToSave ?? NSNull()
    }
    return object
  }

  /// Reads a PEFT `adapter_config.json` object; `path` names the file in errors. Returns the
  /// configuration and the base model's path.
  static func read(_ object: [String: Any], path: String) throws -> (PeftConfig, base: String?) {
    func field<T>(_ key: String, _ type: T.Type) throws -> T? {
      guard let value = object[key], !(value is NSNull) else { return nil }
      guard let typed = value as? T else {
        throw PeftError("\(path): \"\(key)\" has the wrong type (\(value))")
      }
      return typed
    }
    func required<T>(_ key: String, _ type: T.Type) throws -> T {
      guard let value = try field(key, type) else { throw PeftError("\(path): \"\(key)\" is missing") }
      return value
    }
    guard let peftType = try field("peft_type", String.self) else {
      throw PeftError("\(path): \"peft_type\" is missing; is this a PEFT adapter directory?")
    }
    let taskName = try field("task_type", String.self) ?? "SEQ_CLS"
    guard let task = TaskType(rawValue: taskName) else {
      throw PeftError(
        "\(path): task_type \"\(taskName)\" is not supported (SEQ_CLS, CAUSAL_LM, FEATURE_EXTRACTION)")
    }
    let base = try field("base_model_name_or_path", String.self)
    switch peftType {
    case "LORA":
      var targets = try field("target_modules", [String].self)
      if targets == nil, let pattern = try field("target_modules", String.self) {
        throw PeftError(
          "\(path): target_modules as a regular expression (\"\(pattern)\") is not supported; list the names")
      }
      if targets?.isEmpty == true { targets = nil }
      let config = LoraConfig(
        r: try required("r", Int.self), loraAlpha: Float(try field("lora_alpha", Double.self) ?? 8),
        loraDropout: Float(try field("lora_dropout", Double.self) ?? 0), targetModules: targets,
        bias: try field("bias", String.self) ?? "none",
        modulesToSave: try field("modules_to_save", [String].self),
        initLoraWeights: (try? field("init_lora_weights", Bool.self)) ?? true, taskType: task)
      if try field("use_dora", Bool.self) == true || field("use_rslora", Bool.self) == true {
        throw PeftError("\(path): use_dora and use_rslora are not supported by the kit")
      }
      do { try config.validate() } catch let error as PeftError { throw PeftError("\(path): \(error)") }
      return (.lora(config), base)
    case "PROMPT_TUNING":
      let n = try required("num_virtual_tokens", Int.self)
      let initName = try field("prompt_tuning_init", String.self) ?? "RANDOM"
      let initialization: PromptTuningInit =
        initName == "TEXT" ? .text(try required("prompt_tuning_init_text", String.self)) : .random
      return (
        .promptTuning(
          PromptTuningConfig(numVirtualTokens: n, promptTuningInit: initialization, taskType: task)), base
      )
    case "PREFIX_TUNING":
      let config = PrefixTuningConfig(
        numVirtualTokens: try required("num_virtual_tokens", Int.self),
        prefixProjection: try field("prefix_projection", Bool.self) ?? false,
        encoderHiddenSize: try field("encoder_hidden_size", Int.self), taskType: task)
      return (.prefixTuning(config), base)
    default:
      throw PeftError(
        "\(path): peft_type \"\(peftType)\" is not supported (LORA, PROMPT_TUNING, PREFIX_TUNING)")
    }
  }
}
