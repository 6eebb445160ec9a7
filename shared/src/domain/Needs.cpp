#include "signpost/domain/Needs.hpp"
#include "signpost/util/Text.hpp"

#include <array>

namespace signpost::domain {

namespace {

// Categories and offers from DOMAIN.md. Welsh names are our translations; a Welsh speaker on the
// team should confirm them (docs/welsh.md lists every string awaiting review).
constexpr std::array kNeeds{
    Need{"accommodation", "Accommodation", "Llety", ""},
    Need{"ete", "Education, Training and Employment", "Addysg, Hyfforddiant a Chyflogaeth", ""},
    Need{"finance", "Finance, Benefits and Debt", "Cyllid, Budd-daliadau a Dyledion", ""},
    Need{"dependency", "Dependency and Recovery", "Dibyniaeth ac Adferiad", ""},
    Need{"wellbeing", "Personal Wellbeing", "Llesiant Personol", ""},
    Need{"wellbeing.lifestyle", "Lifestyle and Associates", "Ffordd o Fyw a Chysylltiadau", "wellbeing"},
    Need{"wellbeing.emotional", "Emotional Wellbeing", "Llesiant Emosiynol", "wellbeing"},
    Need{"wellbeing.family", "Family and Significant Others", "Teulu a Phobl Arwyddocaol", "wellbeing"},
    Need{"wellbeing.social", "Social Inclusion", "Cynhwysiant Cymdeithasol", "wellbeing"},
    // GM Personal Wellbeing welfare offers.
    Need{"wellbeing.mentoring", "Mentoring", "Mentora", "wellbeing"},
    Need{"wellbeing.regulation", "Emotional regulation and decision making",
         "Rheoli emosiynau a gwneud penderfyniadau", "wellbeing"},
    Need{"wellbeing.healthy", "Wellbeing support and healthy choices", "Cymorth llesiant a dewisiadau iach",
         "wellbeing"},
    Need{"wellbeing.behaviour", "Behaviour change", "Newid ymddygiad", "wellbeing"},
    Need{"wellbeing.mediation", "Family support and mediation", "Cymorth i deuluoedd a chyfryngu", "wellbeing"},
    // Women's Services cover all the needs above in one package.
    Need{"women", "Women's Services", "Gwasanaethau i Fenywod", ""},
};

} // namespace

std::span<const Need> allNeeds() { return kNeeds; }

const Need* needByCode(std::string_view code) {
    for (const Need& need : kNeeds)
        if (need.code == code) return &need;
    return nullptr;
}

const Need* findNeed(std::string_view codeOrName) {
    std::string_view wanted = text::trim(codeOrName);
    if (wanted.empty()) return nullptr;
    if (const Need* need = needByCode(text::toLowerAscii(wanted))) return need;
    std::string key = text::join(text::tokenize(wanted), " ");
    for (const Need& need : kNeeds) {
        if (text::join(text::tokenize(need.nameEn), " ") == key || text::join(text::tokenize(need.nameCy), " ") == key)
            return &need;
    }
    // A single word that names exactly one category ("debt", "dyledion", "accommodation").
    const Need* only = nullptr;
    auto words = text::tokenize(wanted);
    if (words.size() == 1) {
        for (const Need& need : kNeeds) {
            for (auto name : {need.nameEn, need.nameCy}) {
                for (const auto& token : text::tokenize(name)) {
                    if (token == words[0]) {
                        if (only && only != &need) return nullptr;
                        only = &need;
                    }
                }
            }
        }
    }
    return only;
}

std::vector<std::string_view> needAncestors(std::string_view code) {
    std::vector<std::string_view> out;
    const Need* need = needByCode(code);
    while (need && !need->parent.empty()) {
        out.push_back(need->parent);
        need = needByCode(need->parent);
    }
    return out;
}

std::vector<std::string_view> needDescendants(std::string_view code) {
    std::vector<std::string_view> out;
    for (const Need& need : kNeeds)
        if (need.parent == code) out.push_back(need.code);
    return out;
}

} // namespace signpost::domain
