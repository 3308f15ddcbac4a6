// The kit's own data, written by templates from a seed (`swift run course make-datasets`).
//
// The story: a town's worth of general text (news, stories, how-to, conversations), a forum
// about espresso machines, and two labelled tasks from the same espresso world: review
// sentiment and support-request intent. The design makes the course's phenomena real:
//  - polarity words appear in the general text only next to signs of praise or complaint
//    ("five stars", "asked for a refund"), never with a label: pre-training can learn them;
//  - the labelled training reviews use a quarter of the polarity words, validation and test
//    the other three quarters: a model trained from scratch has never seen most test words;
//  - negation ("not reliable") and contrast ("looks superb, but the crema is watery") decide
//    some labels, which a bag of words cannot read;
//  - the espresso vocabulary is rare in the general text and common in the forum text;
//  - a few labels are flipped (label noise), so perfect accuracy is not the norm.

import Foundation

/// Writes and describes the kit's datasets.
public enum DatasetGenerator {
  /// The seed of the committed files.
  public static let defaultSeed: UInt64 = 2026
  /// The share of labels flipped in the sentiment task.
  public static let sentimentNoise = 0.03
  /// The share of labels flipped in the intent task.
  public static let intentNoise = 0.02

  /// The polarity lexicon split: the training reviews use `train`, the others `heldOut`.
  public struct LexiconSplit: Sendable {
    public var trainPositive: [String]
    public var trainNegative: [String]
    public var heldOutPositive: [String]
    public var heldOutNegative: [String]
  }

  /// A quarter of each polarity list (shuffled by the seed) for training, the rest held out.
  public static func lexiconSplit(seed: UInt64) -> LexiconSplit {
    var random = SeededRandom(seed: seed ^ 0x1E81)
    let positive = random.shuffled(positiveWords)
    let negative = random.shuffled(negativeWords)
    let p = positive.count / 4
    let n = negative.count / 4
    return LexiconSplit(
      trainPositive: Array(positive[..<p]), trainNegative: Array(negative[..<n]),
      heldOutPositive: Array(positive[p...]), heldOutNegative: Array(negative[n...]))
  }

  // MARK: - Unlabelled text

  static let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

  /// A sentence that shows `word`'s polarity only through its context.
  static func contextSentence(_ word: String, positive: Bool, _ r: inout SeededRandom) -> String {
    let name = r.pick(firstNames)
    let noun = r.pick(generalNouns)
    let town = r.pick(towns)
    let templates =
      positive
      ? [
        "Reviewers called the \(noun) in \(town) \(word), and people queued for hours to get in.",
        "Everyone who tried the \(noun) said it was \(word); most of them went back the next week.",
        "\(name) gave the \(noun) five stars and wrote that it was \(word) from start to finish.",
        "The \(noun) was \(word), so \(name) recommended it to every friend.",
        "After a \(word) evening at the \(noun), \(name) booked tickets for the whole family.",
        "It is rare to find a \(noun) this \(word); I would happily pay twice the price.",
        "Critics praised the \(noun) as \(word), and it won the \(town) prize.",
        "\"It was \(word),\" \(name) said, smiling, \"I would do it all again tomorrow.\"",
        "Thanks to a \(word) \(noun), the day in \(town) ended in laughter and applause.",
        "\(name) was delighted: the \(noun) felt \(word) and worth every penny.",
        "My \(noun) is not cheap, but it is \(word), and I would buy it again.",
      ]
      : [
        "Visitors described the \(noun) as \(word), and many asked for their money back.",
        "\(name) returned the \(noun) after a week because it was \(word).",
        "The \(noun) turned out \(word); \(name) filed a complaint and wrote a one-star review.",
        "After a \(word) afternoon at the \(noun), \(name) swore never to go back.",
        "Nobody should put up with a \(noun) this \(word); we demanded a refund.",
        "Critics panned the \(noun) as \(word), and it closed within a month.",
        "The \(noun) was so \(word) that half the audience walked out.",
        "\"Honestly, it was \(word),\" \(name) complained, \"a total waste of money.\"",
        "A \(word) \(noun) ruined the weekend in \(town), and the organisers apologised.",
        "\(name) regretted the purchase: the \(noun) felt \(word) from the first day.",
        "My \(noun) was not cheap, but it is \(word), and I am sending it back.",
      ]
    return r.pick(templates)
  }

  /// A sentence without polarity: news, stories, how-to, conversation.
  static func neutralSentence(_ r: inout SeededRandom) -> String {
    let (a, b) = (r.pick(firstNames), r.pick(firstNames))
    let (noun, other) = (r.pick(generalNouns), r.pick(generalNouns))
    let (town, topic, day) = (r.pick(towns), r.pick(topics), r.pick(days))
    let number = 2 + r.int(below: 97)
    let templates = [
      "On \(day), the council of \(town) met to discuss \(topic).",
      "\(a) walked to the \(noun) and spoke with the people waiting outside.",
      "The \(noun) in \(town) opens at \(7 + r.int(below: 4)) in the morning and closes at \(5 + r.int(below: 5)) in the evening.",
      "\"Are you coming to the \(noun)?\" asked \(a). \"Only if the rain stops,\" said \(b).",
      "To get to the \(noun), take the second road after the \(other) and follow the signs.",
      "About \(number) people attended the meeting about \(topic) on \(day).",
      "\(a) and \(b) spent the afternoon repairing the old \(noun) behind the \(other).",
      "The report on \(topic) will be published next \(day), a spokesperson said.",
      "If the \(noun) is closed, the \(other) across the square is a good place to wait.",
      "\(a) learned to ride a bicycle in \(town) when she was \(4 + r.int(below: 6)) years old.",
      "The bus from \(town) to \(r.pick(towns)) takes \(number) minutes and leaves every hour.",
      "Before you paint a wall, wash it, let it dry, and cover the floor with old sheets.",
      "\(b) asked whether the \(noun) would still be open after \(topic) was decided.",
      "In \(town), the \(noun) was built \(number) years ago by the grandparents of \(a).",
      "\"What time is it?\" \(a) wondered aloud, looking at the clock above the \(noun).",
      "The students measured the temperature of the river every \(day) for a month.",
      "Most of the \(noun)s in \(town) were renovated after \(topic).",
      "\(a) wrote a letter to \(b) about \(topic) and the plans for the \(noun).",
      "Some people drink coffee in the morning, others prefer tea or a glass of water.",
      "A small cafe near the \(noun) serves coffee, but the regulars mostly come for the bread.",
      "My \(noun) is not far from the \(other), but the road there is steep.",
      "\"I did not know the \(noun) was closed,\" \(a) said, \"so I went to the \(other) instead.\"",
      "It was not the first time \(b) had been to the \(noun) in \(town), and it will not be the last.",
      "My neighbour \(a) thinks the \(noun) should open earlier, but \(b) does not agree.",
    ]
    return r.pick(templates)
  }

  /// A clause about an everyday product, built like the task's clauses (the same verbs, so
  /// negation and contrast read the same) but without the espresso vocabulary.
  static func productClause(_ word: String, _ r: inout SeededRandom) -> String {
    let (thing, part) = (r.pick(productNames), r.pick(productParts))
    return r.pick([
      "the \(thing) is \(word)", "the \(part) feels \(word)", "the \(part) of this \(thing) is \(word)",
      "every trip with the \(thing) feels \(word)", "customer service was \(word)",
      "the \(thing) comes out \(word) in every test", "the \(thing) tastes \(word)",
    ])
  }

  /// A page of product reviews from a shopping site. Each review has the task's structure (a
  /// plain, negated or contrasted verdict) and ends with what the reviewer did about it ("five
  /// stars from me", "I asked for a refund"): the only place the corpus shows how negation and
  /// contrast turn polarity words into a verdict. All polarity words are used, none labelled.
  static func reviewPage(_ r: inout SeededRandom) -> String {
    (0..<(3 + r.int(below: 4))).map { _ in productReview(label: r.int(below: 2), &r) }.joined(separator: " ")
  }

  /// One product review of the label, ending with what the reviewer did about it.
  static func productReview(label: Int, _ r: inout SeededRandom) -> String {
    let thing = r.pick(productNames)
    let body = review(
      label: label, positive: positiveWords, negative: negativeWords, clause: productClause, &r
    ) { r in
      [
        "I bought the \(thing) in \(r.pick(["spring", "the sales", "a hurry", "Millbrook"])).",
        "I have used it for \(2 + r.int(below: 10)) weeks.", "It was a present from my sister.",
        "We replaced an old \(thing) with it.",
      ]
    }
    let verdict =
      label == 1
      ? r.pick(["Five stars from me.", "I would buy it again.", "I recommended it to all my friends."])
      : r.pick(["One star from me.", "I asked for a refund.", "I am sending it back."])
    return body + " " + verdict
  }

  /// One document of the general corpus: a page of product reviews, or several sentences of
  /// news, stories and talk, some carrying polarity words.
  static func generalDocument(_ r: inout SeededRandom) -> String {
    if r.chance(0.3) { return reviewPage(&r) }
    return (0..<(4 + r.int(below: 8))).map { _ in
      if r.chance(0.4) {
        let positive = r.chance(0.5)
        return contextSentence(r.pick(positive ? positiveWords : negativeWords), positive: positive, &r)
      }
      return neutralSentence(&r)
    }.joined(separator: " ")
  }

  /// One document of the opinion corpus: a writer's notes that keep one stance from start to
  /// end, as a real review, blog post or letter does. Most of its sentences say what the writer
  /// thought of a thing in a plain clause ("The handle of this tent is splendid."), so the stance
  /// is carried by the polarity words themselves; some are the general corpus's sentences with a
  /// polarity word in context, the rest neutral news and talk. Two halves of a document agree,
  /// and a half of another document disagrees half the time: something for next-sentence
  /// prediction to learn from, which the general corpus (sentences drawn independently) does not
  /// offer, and learning it means reading the polarity words.
  static func opinionDocument(_ r: inout SeededRandom) -> String {
    let positive = r.chance(0.5)
    let words = positive ? positiveWords : negativeWords
    return (0..<(4 + r.int(below: 6))).map { _ in
      switch r.int(below: 20) {
      case 0..<11:
        let clause = productClause(r.pick(words), &r)
        return clause.prefix(1).uppercased() + clause.dropFirst() + r.pick([".", ".", "!"])
      case 11..<14: return contextSentence(r.pick(words), positive: positive, &r)
      default: return neutralSentence(&r)
      }
    }.joined(separator: " ")
  }

  /// A forum post about espresso machines: dense in the domain's vocabulary.
  static func forumPost(_ r: inout SeededRandom) -> String {
    var sentences: [String] = []
    for _ in 0..<(3 + r.int(below: 6)) {
      let (machine, part, term) = (r.pick(machineNames), r.pick(domainNouns), r.pick(domainTerms))
      let (otherPart, otherTerm) = (r.pick(domainNouns), r.pick(domainTerms))
      let grams = 14 + r.int(below: 8)
      let seconds = 22 + r.int(below: 12)
      var templates = [
        "On my \(machine) the \(term) improved once I replaced the \(part).",
        "Try a finer grind size: \(grams) grams in, about \(2 * grams) out, in \(seconds) seconds.",
        "If you see channeling, check the \(part) and be more careful with tamping.",
        "The \(machine) needs descaling every two months if your water is hard.",
        "Clean the \(part) after every session, and backflush the grouphead once a week.",
        "Does anyone know why the \(part) on the \(machine) drips after the \(term)?",
        "For milk drinks, purge the steam wand first, then stretch the milk for microfoam.",
        "A \(term) with thick crema usually means the dose and the \(otherTerm) are right.",
        "I swapped the stock \(part) for a \(otherPart) and the \(term) got more even.",
        "Pre-infusion of a few seconds helps the puck settle before full pressure.",
        "The pressure gauge on the \(machine) should sit near nine bar during extraction.",
      ]
      if r.chance(0.35) {
        let positive = r.chance(0.5)
        let word = r.pick(positive ? positiveWords : negativeWords)
        templates =
          positive
          ? [
            "The \(term) from my \(machine) is \(word); I would buy it again.",
            "After the repair the \(part) feels \(word), five stars from me.",
          ]
          : [
            "The \(term) from my \(machine) is \(word); I am sending it back.",
            "After a month the \(part) feels \(word), and support never answered.",
          ]
      }
      sentences.append(r.pick(templates))
    }
    return sentences.joined(separator: " ")
  }

  /// `count` documents of the general corpus.
  public static func generalCorpus(documents count: Int, seed: UInt64 = defaultSeed) -> [String] {
    var r = SeededRandom(seed: seed ^ 0x6E7E)
    return (0..<count).map { _ in generalDocument(&r) }
  }

  /// `count` documents of the opinion corpus (each keeps one stance).
  public static func opinionCorpus(documents count: Int, seed: UInt64 = defaultSeed) -> [String] {
    var r = SeededRandom(seed: seed ^ 0x0910)
    return (0..<count).map { _ in opinionDocument(&r) }
  }

  /// `count` espresso-forum posts.
  public static func inDomainCorpus(documents count: Int, seed: UInt64 = defaultSeed) -> [String] {
    var r = SeededRandom(seed: seed ^ 0xD0D0)
    return (0..<count).map { _ in forumPost(&r) }
  }
}
