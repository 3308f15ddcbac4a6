// The words the generated data is made of. The sentiment lexicon is large on purpose: the small
// labelled training set uses only a quarter of it, and the rest must be learned from the
// contexts the words share in the unlabelled corpus (see datasets/README.md).

/// Words that praise, each used in the corpus next to signs of satisfaction.
public let positiveWords = [
  "superb", "splendid", "stellar", "terrific", "marvelous", "delightful", "flawless", "sturdy", "reliable",
  "excellent", "wonderful", "fantastic", "brilliant", "impressive", "outstanding", "exceptional", "lovely",
  "gorgeous", "charming", "elegant", "graceful", "dependable", "solid", "smooth", "pleasant", "enjoyable",
  "satisfying", "rewarding", "admirable", "commendable", "praiseworthy", "exquisite", "refined", "polished",
  "sublime", "glorious", "magnificent", "radiant", "vibrant", "lively", "spirited", "joyful", "cheerful",
  "uplifting", "heartwarming", "inspiring", "remarkable", "noteworthy", "dazzling", "stunning",
  "breathtaking",
  "captivating", "enchanting", "engaging", "compelling", "riveting", "thrilling", "exciting", "fabulous",
  "phenomenal", "spectacular", "tremendous", "awesome", "amazing", "incredible", "first-rate", "top-notch",
  "dandy", "nifty", "neat", "handy", "convenient", "efficient", "effective", "capable", "competent",
  "skillful", "masterful", "deft", "nimble", "swift", "prompt", "speedy", "quiet", "silky", "velvety",
  "creamy", "rich", "balanced", "harmonious", "crisp", "fresh", "bright", "clean", "tidy", "spotless",
  "durable", "robust", "tough", "resilient", "trusty", "faithful", "honest", "generous", "kind", "friendly",
  "courteous", "helpful", "attentive", "thoughtful", "considerate", "gracious", "warm", "welcoming",
  "soothing", "calming", "comfortable", "cozy", "roomy", "spacious", "sleek", "stylish", "tasteful",
  "classy", "premium", "luxurious", "worthwhile", "valuable", "affordable", "bargain", "ideal", "perfect",
  "peerless", "unbeatable", "matchless", "heavenly", "divine", "blissful", "sensational",
]

/// Words that condemn, each used in the corpus next to signs of disappointment.
public let negativeWords = [
  "dreadful", "awful", "terrible", "horrible", "atrocious", "abysmal", "appalling", "dismal", "lousy",
  "shoddy", "flimsy", "unreliable", "faulty", "defective", "broken", "useless", "worthless", "pointless",
  "disappointing", "frustrating", "annoying", "irritating", "infuriating", "maddening", "tedious", "boring",
  "dull", "bland", "tasteless", "stale", "sour", "bitter", "burnt", "watery", "weak", "feeble", "dreary",
  "lifeless", "mediocre", "subpar", "inferior", "second-rate", "cheap", "tacky", "gaudy", "clumsy",
  "awkward", "sloppy", "careless", "negligent", "rude", "surly", "hostile", "unhelpful", "dismissive",
  "arrogant", "slow", "sluggish", "laggy", "noisy", "loud", "rattly", "squeaky", "leaky", "drippy",
  "greasy", "grimy", "filthy", "dirty", "dusty", "rusty", "cracked", "chipped", "dented", "warped",
  "wobbly", "shaky", "unstable", "fragile", "brittle", "overpriced", "costly", "wasteful", "inefficient",
  "clunky", "cumbersome", "confusing", "baffling", "misleading", "deceptive", "dishonest", "shady",
  "sketchy", "dubious", "questionable", "unacceptable", "inexcusable", "unbearable", "intolerable",
  "miserable", "wretched", "pathetic", "lamentable", "deplorable", "regrettable", "unpleasant", "nasty",
  "gross", "vile", "foul", "rancid", "putrid", "harsh", "jarring", "grating", "painful", "exhausting",
  "draining", "stressful", "nightmarish", "disastrous", "catastrophic", "ruinous", "botched", "bungled",
  "half-baked", "lackluster", "forgettable", "uninspired", "derivative", "shabby", "dingy", "cramped",
  "stuffy", "sweltering", "freezing", "soggy", "mushy",
]

/// The espresso-machine domain: vocabulary the general corpus barely uses.
public let domainNouns = [
  "portafilter", "tamper", "grouphead", "steam wand", "drip tray", "burr grinder", "water reservoir",
  "boiler", "gasket", "shower screen", "pressure gauge", "milk pitcher", "bottomless portafilter",
  "dosing funnel", "knock box", "heat exchanger", "solenoid valve", "brew switch", "frothing jug",
  "descaling kit", "water filter", "basket", "pump", "thermoblock", "PID controller",
]
public let domainTerms = [
  "crema", "puck", "channeling", "extraction", "pre-infusion", "microfoam", "latte art", "ristretto",
  "lungo", "doppio", "cortado", "flat white", "shot", "dose", "yield", "grind size", "tamping", "descaling",
  "backflushing", "temperature surfing", "dialing in", "bloom", "body", "acidity", "aftertaste",
]
public let machineNames = [
  "Corvo Duo", "Corvo Mini", "Brezza Pro", "Brezza Lite", "Fenice X", "Fenice Compact", "Tordo 2",
  "Tordo Classic", "Merlo S", "Merlo Dual Boiler",
]

/// People, places and things for the general corpus.
public let firstNames = [
  "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko", "Liam",
  "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Samir", "Tess", "Umar", "Vera", "Wes", "Ximena",
  "Yusuf", "Zoe",
]
public let towns = [
  "Millbrook", "Harwick", "Lakeside", "Stonebridge", "Oakham", "Riverton", "Westfield", "Fairhaven",
  "Ashby", "Kingsport", "Marlow", "Pinecrest",
]
public let generalNouns = [
  "bakery", "library", "museum", "festival", "concert", "hotel", "train", "bicycle", "garden", "bridge",
  "school", "market", "theater", "restaurant", "ferry", "stadium", "clinic", "workshop", "hiking trail",
  "bookshop", "apartment", "laptop", "phone", "jacket", "tent", "kettle", "backpack", "camera", "sofa",
  "car", "novel", "film", "album", "play", "podcast", "lecture", "exhibition", "parade", "harbor", "park",
]
/// Everyday things reviewed on the general shopping site, and their parts.
public let productNames = [
  "kettle", "jacket", "tent", "backpack", "camera", "laptop", "phone", "sofa", "bicycle", "lamp", "blender",
  "toaster", "umbrella", "mattress", "headphones", "suitcase",
]
public let productParts = [
  "handle", "zip", "battery", "screen", "lid", "strap", "fabric", "cable", "button", "wheel", "switch",
  "seam",
]
public let topics = [
  "the weather", "the election", "the harvest", "the new bus routes", "the river cleanup",
  "the school budget",
  "the football season", "the science fair", "the bridge repairs", "the winter market", "the housing plan",
  "the power outage", "the library extension", "the marathon", "the art prize",
]
