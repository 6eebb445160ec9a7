#include "signpost/directory/Synonyms.hpp"

#include <algorithm>
#include <array>

namespace signpost::directory {

namespace {

using SV = std::string_view;

constexpr std::array<SV, 5> kAccommodation{"accommodation", "housing", "homeless*", "tenancy", "llety"};
constexpr std::array<SV, 7> kDependency{"dependency", "recovery", "substance*", "drug*", "alcohol", "addiction*",
                                        "dibyniaeth"};
constexpr std::array<SV, 6> kFinance{"finance", "debt*", "benefit*", "money", "budget*", "dyled*"};
constexpr std::array<SV, 7> kEte{"employment", "employab*", "training", "education", "job*", "skills", "cyflogaeth"};
constexpr std::array<SV, 5> kMentalHealth{"mental", "emotional", "wellbeing", "counselling", "llesiant"};
constexpr std::array<SV, 4> kFamily{"family", "families", "mediation", "teulu"};
constexpr std::array<SV, 4> kWomen{"women*", "woman", "female", "menywod"};
constexpr std::array<SV, 3> kMentoring{"mentor*", "peer", "mentora"};
constexpr std::array<SV, 4> kYoung{"young", "youth", "18", "24"};
constexpr std::array<SV, 3> kVictims{"victim*", "domestic", "abuse"};
constexpr std::array<SV, 3> kSocial{"social", "inclusion", "isolation"};
constexpr std::array<SV, 4> kBehaviour{"behaviour", "regulation", "anger", "decision*"};
constexpr std::array<SV, 3> kLifestyle{"lifestyle", "associates", "healthy"};

constexpr std::array kSynonyms{
    // Accommodation
    Synonym{"housing", kAccommodation}, Synonym{"house", kAccommodation}, Synonym{"homeless", kAccommodation},
    Synonym{"homelessness", kAccommodation}, Synonym{"accommodation", kAccommodation},
    Synonym{"tenancy", kAccommodation}, Synonym{"hostel", kAccommodation}, Synonym{"tai", kAccommodation},
    Synonym{"llety", kAccommodation}, Synonym{"digartref", kAccommodation},
    // Dependency and Recovery
    Synonym{"drugs", kDependency}, Synonym{"drug", kDependency}, Synonym{"alcohol", kDependency},
    Synonym{"substance", kDependency}, Synonym{"addiction", kDependency}, Synonym{"recovery", kDependency},
    Synonym{"dependency", kDependency}, Synonym{"cyffuriau", kDependency}, Synonym{"dibyniaeth", kDependency},
    // Finance, Benefits and Debt
    Synonym{"debt", kFinance}, Synonym{"debts", kFinance}, Synonym{"money", kFinance}, Synonym{"benefits", kFinance},
    Synonym{"finance", kFinance}, Synonym{"budgeting", kFinance}, Synonym{"dyled", kFinance},
    Synonym{"dyledion", kFinance}, Synonym{"arian", kFinance},
    // Education, Training and Employment
    Synonym{"job", kEte}, Synonym{"jobs", kEte}, Synonym{"work", kEte}, Synonym{"employment", kEte},
    Synonym{"employability", kEte}, Synonym{"training", kEte}, Synonym{"education", kEte}, Synonym{"skills", kEte},
    Synonym{"ete", kEte}, Synonym{"gwaith", kEte}, Synonym{"swydd", kEte},
    // Emotional wellbeing / mental health
    Synonym{"mental", kMentalHealth}, Synonym{"anxiety", kMentalHealth}, Synonym{"depression", kMentalHealth},
    Synonym{"emotional", kMentalHealth}, Synonym{"wellbeing", kMentalHealth}, Synonym{"llesiant", kMentalHealth},
    // Family and significant others
    Synonym{"family", kFamily}, Synonym{"children", kFamily}, Synonym{"parenting", kFamily},
    Synonym{"mediation", kFamily}, Synonym{"relationships", kFamily}, Synonym{"teulu", kFamily},
    // Women
    Synonym{"women", kWomen}, Synonym{"woman", kWomen}, Synonym{"womens", kWomen}, Synonym{"female", kWomen},
    Synonym{"menywod", kWomen}, Synonym{"merched", kWomen},
    // Mentoring
    Synonym{"mentor", kMentoring}, Synonym{"mentoring", kMentoring}, Synonym{"mentora", kMentoring},
    // Young adults 18 to 24
    Synonym{"young", kYoung}, Synonym{"youth", kYoung},
    // Victims
    Synonym{"victim", kVictims}, Synonym{"victims", kVictims},
    // Social inclusion, behaviour, lifestyle
    Synonym{"isolation", kSocial}, Synonym{"lonely", kSocial}, Synonym{"inclusion", kSocial},
    Synonym{"anger", kBehaviour}, Synonym{"behaviour", kBehaviour}, Synonym{"lifestyle", kLifestyle},
};

} // namespace

std::span<const Synonym> synonyms() { return kSynonyms; }

std::vector<std::string_view> expansionsFor(std::string_view word) {
    for (const auto& s : kSynonyms)
        if (s.word == word) return {s.expansions.begin(), s.expansions.end()};
    return {};
}

std::vector<std::string_view> expansionsForPrefix(std::string_view prefix) {
    std::vector<std::string_view> out;
    if (prefix.size() < 3) return out;
    for (const auto& s : kSynonyms) {
        if (s.word.substr(0, prefix.size()) != prefix) continue;
        for (auto e : s.expansions)
            if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    }
    return out;
}

} // namespace signpost::directory
