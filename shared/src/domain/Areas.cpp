#include "signpost/domain/Areas.hpp"
#include "signpost/util/Text.hpp"

#include <array>

namespace signpost::domain {

namespace {

using K = AreaKind;

// Sources: DOMAIN.md (ONS codes, PDU membership, English and Welsh names). PDU codes are ours:
// PDUs have no ONS code. Welsh names of PDUs follow the usual Welsh forms of the place names.
constexpr std::array kAreas{
    Area{kEnglandAndWales, K::Country, "England and Wales", "Cymru a Lloegr", ""},

    Area{kWales, K::Region, "Wales", "Cymru", kEnglandAndWales},
    Area{"PDU-NWALES", K::Pdu, "North Wales", "Gogledd Cymru", kWales},
    Area{"PDU-DYFEDPOWYS", K::Pdu, "Dyfed Powys", "Dyfed-Powys", kWales},
    Area{"PDU-SNPT", K::Pdu, "Swansea Neath Port Talbot", "Abertawe Castell-nedd Port Talbot", kWales},
    Area{"PDU-CTM", K::Pdu, "Cwm Taf Morgannwg", "Cwm Taf Morgannwg", kWales},
    Area{"PDU-CARDIFFVALE", K::Pdu, "Cardiff and Vale", "Caerdydd a'r Fro", kWales},
    Area{"PDU-GWENT", K::Pdu, "Gwent", "Gwent", kWales},

    Area{"W06000001", K::LocalAuthority, "Isle of Anglesey", "Ynys Môn", "PDU-NWALES"},
    Area{"W06000002", K::LocalAuthority, "Gwynedd", "Gwynedd", "PDU-NWALES"},
    Area{"W06000003", K::LocalAuthority, "Conwy", "Conwy", "PDU-NWALES"},
    Area{"W06000004", K::LocalAuthority, "Denbighshire", "Sir Ddinbych", "PDU-NWALES"},
    Area{"W06000005", K::LocalAuthority, "Flintshire", "Sir y Fflint", "PDU-NWALES"},
    Area{"W06000006", K::LocalAuthority, "Wrexham", "Wrecsam", "PDU-NWALES"},

    Area{"W06000008", K::LocalAuthority, "Ceredigion", "Ceredigion", "PDU-DYFEDPOWYS"},
    Area{"W06000009", K::LocalAuthority, "Pembrokeshire", "Sir Benfro", "PDU-DYFEDPOWYS"},
    Area{"W06000010", K::LocalAuthority, "Carmarthenshire", "Sir Gaerfyrddin", "PDU-DYFEDPOWYS"},
    Area{"W06000023", K::LocalAuthority, "Powys", "Powys", "PDU-DYFEDPOWYS"},

    Area{"W06000011", K::LocalAuthority, "Swansea", "Abertawe", "PDU-SNPT"},
    Area{"W06000012", K::LocalAuthority, "Neath Port Talbot", "Castell-nedd Port Talbot", "PDU-SNPT"},

    Area{"W06000013", K::LocalAuthority, "Bridgend", "Pen-y-bont ar Ogwr", "PDU-CTM"},
    Area{"W06000016", K::LocalAuthority, "Rhondda Cynon Taf", "Rhondda Cynon Taf", "PDU-CTM"},
    Area{"W06000024", K::LocalAuthority, "Merthyr Tydfil", "Merthyr Tudful", "PDU-CTM"},

    Area{"W06000015", K::LocalAuthority, "Cardiff", "Caerdydd", "PDU-CARDIFFVALE"},
    Area{"W06000014", K::LocalAuthority, "Vale of Glamorgan", "Bro Morgannwg", "PDU-CARDIFFVALE"},

    Area{"W06000018", K::LocalAuthority, "Caerphilly", "Caerffili", "PDU-GWENT"},
    Area{"W06000019", K::LocalAuthority, "Blaenau Gwent", "Blaenau Gwent", "PDU-GWENT"},
    Area{"W06000020", K::LocalAuthority, "Torfaen", "Tor-faen", "PDU-GWENT"},
    Area{"W06000021", K::LocalAuthority, "Monmouthshire", "Sir Fynwy", "PDU-GWENT"},
    Area{"W06000022", K::LocalAuthority, "Newport", "Casnewydd", "PDU-GWENT"},

    Area{kGreaterManchester, K::Region, "Greater Manchester", "Manceinion Fwyaf", kEnglandAndWales},
    Area{"E08000001", K::LocalAuthority, "Bolton", "Bolton", kGreaterManchester},
    Area{"E08000002", K::LocalAuthority, "Bury", "Bury", kGreaterManchester},
    Area{"E08000003", K::LocalAuthority, "Manchester", "Manceinion", kGreaterManchester},
    Area{"E08000004", K::LocalAuthority, "Oldham", "Oldham", kGreaterManchester},
    Area{"E08000005", K::LocalAuthority, "Rochdale", "Rochdale", kGreaterManchester},
    Area{"E08000006", K::LocalAuthority, "Salford", "Salford", kGreaterManchester},
    Area{"E08000007", K::LocalAuthority, "Stockport", "Stockport", kGreaterManchester},
    Area{"E08000008", K::LocalAuthority, "Tameside", "Tameside", kGreaterManchester},
    Area{"E08000009", K::LocalAuthority, "Trafford", "Trafford", kGreaterManchester},
    Area{"E08000010", K::LocalAuthority, "Wigan", "Wigan", kGreaterManchester},
};

} // namespace

std::span<const Area> allAreas() { return kAreas; }

const Area* areaByCode(std::string_view code) {
    for (const Area& area : kAreas)
        if (area.code == code) return &area;
    return nullptr;
}

// Names compare on their folded tokens, with "&" read as "and", so "Cardiff & Vale",
// "cardiff and vale", "Caerdydd a'r Fro" and "ynys mon" all land where a person means.
static std::string nameKey(std::string_view name) {
    std::string spelled;
    for (char c : name) {
        if (c == '&') spelled += " and ";
        else spelled += c;
    }
    return text::join(text::tokenize(spelled), " ");
}

const Area* findArea(std::string_view codeOrName) {
    std::string_view wanted = text::trim(codeOrName);
    if (wanted.empty()) return nullptr;
    for (const Area& area : kAreas)
        if (text::iequals(area.code, wanted)) return &area;
    std::string key = nameKey(wanted);
    for (const Area& area : kAreas)
        if (nameKey(area.nameEn) == key || nameKey(area.nameCy) == key) return &area;
    return nullptr;
}

std::vector<std::string_view> ancestorsOf(std::string_view code) {
    std::vector<std::string_view> out;
    const Area* area = areaByCode(code);
    while (area && !area->parent.empty()) {
        out.push_back(area->parent);
        area = areaByCode(area->parent);
    }
    return out;
}

std::vector<std::string_view> descendantsOf(std::string_view code) {
    std::vector<std::string_view> out;
    std::vector<std::string_view> frontier{code};
    while (!frontier.empty()) {
        std::string_view parent = frontier.back();
        frontier.pop_back();
        for (const Area& area : kAreas) {
            if (area.parent == parent) {
                out.push_back(area.code);
                frontier.push_back(area.code);
            }
        }
    }
    return out;
}

std::string_view pduOf(std::string_view code) {
    const Area* area = areaByCode(code);
    while (area) {
        if (area->kind == AreaKind::Pdu) return area->code;
        area = area->parent.empty() ? nullptr : areaByCode(area->parent);
    }
    return {};
}

} // namespace signpost::domain
