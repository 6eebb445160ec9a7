#include "signpost/directory/Synonyms.hpp"
#include "signpost/util/Text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

namespace signpost::directory {

namespace {

using SV = std::string_view;

// The words the directory uses for each need. A trailing '*' makes a prefix: "homeless*" also
// finds "homelessness".
constexpr std::array<SV, 5> kAccommodationWords{"accommodation", "housing", "homeless*", "tenancy", "llety"};
constexpr std::array<SV, 7> kDependencyWords{"dependency", "recovery", "substance*", "drug*", "alcohol", "addiction*",
                                             "dibyniaeth"};
constexpr std::array<SV, 6> kFinanceWords{"finance", "debt*", "benefit*", "money", "budget*", "dyled*"};
constexpr std::array<SV, 7> kEteWords{"employment", "employab*", "training", "education", "job*", "skills", "cyflogaeth"};
constexpr std::array<SV, 5> kMentalHealthWords{"mental", "emotional", "wellbeing", "counselling", "llesiant"};
constexpr std::array<SV, 4> kFamilyWords{"family", "families", "mediation", "teulu"};
constexpr std::array<SV, 4> kWomenWords{"women*", "woman", "female", "menywod"};
constexpr std::array<SV, 3> kMentoringWords{"mentor*", "peer", "mentora"};
constexpr std::array<SV, 4> kYoungWords{"young", "youth", "18", "24"};
constexpr std::array<SV, 3> kVictimsWords{"victim*", "domestic", "abuse"};
constexpr std::array<SV, 3> kSocialWords{"social", "inclusion", "isolation"};
constexpr std::array<SV, 4> kBehaviourWords{"behaviour", "regulation", "anger", "decision*"};
constexpr std::array<SV, 3> kLifestyleWords{"lifestyle", "associates", "healthy"};

enum Group : uint8_t {
    Accommodation, Dependency, Finance, Ete, MentalHealth, Family, Women, Mentoring, Young, Victims, Social,
    Behaviour, Lifestyle, GroupCount
};

struct GroupInfo {
    SV name; // after the mark: short, because it is stored in every service that has it
    std::span<const SV> words;
};

constexpr std::array<GroupInfo, GroupCount> kGroups{
    GroupInfo{"acc", kAccommodationWords}, GroupInfo{"dep", kDependencyWords}, GroupInfo{"fin", kFinanceWords},
    GroupInfo{"ete", kEteWords},           GroupInfo{"mh", kMentalHealthWords}, GroupInfo{"fam", kFamilyWords},
    GroupInfo{"wom", kWomenWords},         GroupInfo{"men", kMentoringWords},   GroupInfo{"yng", kYoungWords},
    GroupInfo{"vic", kVictimsWords},       GroupInfo{"soc", kSocialWords},      GroupInfo{"beh", kBehaviourWords},
    GroupInfo{"lif", kLifestyleWords},
};

// The words practitioners type, and the group each stands for.
struct S {
    SV word; // folded
    Group group;
};

constexpr std::array kSynonyms{
    // Accommodation
    S{"housing", Accommodation}, S{"house", Accommodation}, S{"homeless", Accommodation},
    S{"homelessness", Accommodation}, S{"accommodation", Accommodation},
    S{"tenancy", Accommodation}, S{"hostel", Accommodation}, S{"tai", Accommodation},
    S{"llety", Accommodation}, S{"digartref", Accommodation},
    // Dependency and Recovery
    S{"drugs", Dependency}, S{"drug", Dependency}, S{"alcohol", Dependency},
    S{"substance", Dependency}, S{"addiction", Dependency}, S{"recovery", Dependency},
    S{"dependency", Dependency}, S{"cyffuriau", Dependency}, S{"dibyniaeth", Dependency},
    // Finance, Benefits and Debt
    S{"debt", Finance}, S{"debts", Finance}, S{"money", Finance}, S{"benefits", Finance},
    S{"finance", Finance}, S{"budgeting", Finance}, S{"dyled", Finance},
    S{"dyledion", Finance}, S{"arian", Finance},
    // Education, Training and Employment
    S{"job", Ete}, S{"jobs", Ete}, S{"work", Ete}, S{"employment", Ete},
    S{"employability", Ete}, S{"training", Ete}, S{"education", Ete}, S{"skills", Ete},
    S{"ete", Ete}, S{"gwaith", Ete}, S{"swydd", Ete},
    // Emotional wellbeing / mental health
    S{"mental", MentalHealth}, S{"anxiety", MentalHealth}, S{"depression", MentalHealth},
    S{"emotional", MentalHealth}, S{"wellbeing", MentalHealth}, S{"llesiant", MentalHealth},
    // Family and significant others
    S{"family", Family}, S{"children", Family}, S{"parenting", Family},
    S{"mediation", Family}, S{"relationships", Family}, S{"teulu", Family},
    // Women
    S{"women", Women}, S{"woman", Women}, S{"womens", Women}, S{"female", Women},
    S{"menywod", Women}, S{"merched", Women},
    // Mentoring
    S{"mentor", Mentoring}, S{"mentoring", Mentoring}, S{"mentora", Mentoring},
    // Young adults 18 to 24
    S{"young", Young}, S{"youth", Young},
    // Victims
    S{"victim", Victims}, S{"victims", Victims},
    // Social inclusion, behaviour, lifestyle
    S{"isolation", Social}, S{"lonely", Social}, S{"inclusion", Social},
    S{"anger", Behaviour}, S{"behaviour", Behaviour}, S{"lifestyle", Lifestyle},
};

std::string conceptToken(Group g) {
    std::string out(kConceptMark);
    out += kGroups[g].name;
    return out;
}

// Which groups a token of service text belongs to, as a bit mask.
class Matcher {
public:
    Matcher() {
        for (size_t g = 0; g < kGroups.size(); ++g) {
            for (SV w : kGroups[g].words) {
                const uint32_t bit = 1u << g;
                if (!w.empty() && w.back() == '*')
                    m_prefixes[static_cast<unsigned char>(w.front())].push_back({w.substr(0, w.size() - 1), bit});
                else m_exact[static_cast<unsigned char>(w.front())].push_back({w, bit});
            }
        }
    }

    uint32_t groupsOf(SV token) const {
        if (token.empty()) return 0;
        uint32_t mask = 0;
        const auto first = static_cast<unsigned char>(token.front());
        for (const auto& [word, bit] : m_exact[first])
            if (word == token) mask |= bit;
        for (const auto& [stem, bit] : m_prefixes[first])
            if (token.size() >= stem.size() && token.compare(0, stem.size(), stem) == 0) mask |= bit;
        return mask;
    }

private:
    // By first byte: a token is compared with the few words that could match.
    std::array<std::vector<std::pair<SV, uint32_t>>, 256> m_exact;
    std::array<std::vector<std::pair<SV, uint32_t>>, 256> m_prefixes;
};

const Matcher& matcher() {
    static const Matcher m;
    return m;
}

} // namespace

std::string conceptsIn(std::string_view text) {
    uint32_t mask = 0;
    const Matcher& m = matcher();
    text::forEachToken(text, [&](std::string_view token) { mask |= m.groupsOf(token); });
    std::string out;
    for (uint8_t g = 0; g < GroupCount; ++g) {
        if (!(mask & (1u << g))) continue;
        out += ' ';
        out += conceptToken(static_cast<Group>(g));
    }
    return out;
}

std::string conceptForWord(std::string_view word) {
    for (const auto& s : kSynonyms)
        if (s.word == word) return conceptToken(s.group);
    return {};
}

std::vector<std::string> conceptsForPrefix(std::string_view prefix) {
    std::vector<std::string> out;
    auto add = [&](Group g) {
        std::string token = conceptToken(g);
        if (std::find(out.begin(), out.end(), token) == out.end()) out.push_back(std::move(token));
    };
    for (const auto& s : kSynonyms) // the word's own group first: it may already be complete
        if (s.word == prefix) add(s.group);
    if (prefix.size() < 3) return out;
    for (const auto& s : kSynonyms)
        if (s.word.substr(0, prefix.size()) == prefix) add(s.group);
    return out;
}

std::vector<Synonym> synonyms() {
    std::vector<Synonym> out;
    for (const auto& s : kSynonyms) out.push_back({s.word, conceptToken(s.group)});
    return out;
}

} // namespace signpost::directory
