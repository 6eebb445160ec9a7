#include "signpost/domain/Areas.hpp"
#include "signpost/util/Text.hpp"

#include <algorithm>
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

    Area{"W06000001", K::LocalAuthority, "Isle of Anglesey", "Ynys Môn", "PDU-NWALES", 53.2558, -4.3104},
    Area{"W06000002", K::LocalAuthority, "Gwynedd", "Gwynedd", "PDU-NWALES", 53.1393, -4.2732},
    Area{"W06000003", K::LocalAuthority, "Conwy", "Conwy", "PDU-NWALES", 53.28, -3.83},
    Area{"W06000004", K::LocalAuthority, "Denbighshire", "Sir Ddinbych", "PDU-NWALES", 53.1147, -3.3105},
    Area{"W06000005", K::LocalAuthority, "Flintshire", "Sir y Fflint", "PDU-NWALES", 53.1666, -3.1416},
    Area{"W06000006", K::LocalAuthority, "Wrexham", "Wrecsam", "PDU-NWALES", 53.046, -2.9925},

    Area{"W06000008", K::LocalAuthority, "Ceredigion", "Ceredigion", "PDU-DYFEDPOWYS", 52.4153, -4.0829},
    Area{"W06000009", K::LocalAuthority, "Pembrokeshire", "Sir Benfro", "PDU-DYFEDPOWYS", 51.8016, -4.9691},
    Area{"W06000010", K::LocalAuthority, "Carmarthenshire", "Sir Gaerfyrddin", "PDU-DYFEDPOWYS", 51.8576, -4.3121},
    Area{"W06000023", K::LocalAuthority, "Powys", "Powys", "PDU-DYFEDPOWYS", 52.242, -3.379},

    Area{"W06000011", K::LocalAuthority, "Swansea", "Abertawe", "PDU-SNPT", 51.6214, -3.9436},
    Area{"W06000012", K::LocalAuthority, "Neath Port Talbot", "Castell-nedd Port Talbot", "PDU-SNPT", 51.591, -3.78},

    Area{"W06000013", K::LocalAuthority, "Bridgend", "Pen-y-bont ar Ogwr", "PDU-CTM", 51.5043, -3.5769},
    Area{"W06000016", K::LocalAuthority, "Rhondda Cynon Taf", "Rhondda Cynon Taf", "PDU-CTM", 51.602, -3.342},
    Area{"W06000024", K::LocalAuthority, "Merthyr Tydfil", "Merthyr Tudful", "PDU-CTM", 51.7487, -3.3816},

    Area{"W06000015", K::LocalAuthority, "Cardiff", "Caerdydd", "PDU-CARDIFFVALE", 51.4816, -3.1791},
    Area{"W06000014", K::LocalAuthority, "Vale of Glamorgan", "Bro Morgannwg", "PDU-CARDIFFVALE", 51.3997, -3.283},

    Area{"W06000018", K::LocalAuthority, "Caerphilly", "Caerffili", "PDU-GWENT", 51.574, -3.218},
    Area{"W06000019", K::LocalAuthority, "Blaenau Gwent", "Blaenau Gwent", "PDU-GWENT", 51.778, -3.207},
    Area{"W06000020", K::LocalAuthority, "Torfaen", "Tor-faen", "PDU-GWENT", 51.701, -3.044},
    Area{"W06000021", K::LocalAuthority, "Monmouthshire", "Sir Fynwy", "PDU-GWENT", 51.812, -2.716},
    Area{"W06000022", K::LocalAuthority, "Newport", "Casnewydd", "PDU-GWENT", 51.5842, -2.9977},

    Area{kGreaterManchester, K::Region, "Greater Manchester", "Manceinion Fwyaf", kEnglandAndWales},
    Area{"E08000001", K::LocalAuthority, "Bolton", "Bolton", kGreaterManchester, 53.5779, -2.429},
    Area{"E08000002", K::LocalAuthority, "Bury", "Bury", kGreaterManchester, 53.5933, -2.2966},
    Area{"E08000003", K::LocalAuthority, "Manchester", "Manceinion", kGreaterManchester, 53.4808, -2.2426},
    Area{"E08000004", K::LocalAuthority, "Oldham", "Oldham", kGreaterManchester, 53.5409, -2.1114},
    Area{"E08000005", K::LocalAuthority, "Rochdale", "Rochdale", kGreaterManchester, 53.6154, -2.1561},
    Area{"E08000006", K::LocalAuthority, "Salford", "Salford", kGreaterManchester, 53.488, -2.29},
    Area{"E08000007", K::LocalAuthority, "Stockport", "Stockport", kGreaterManchester, 53.4083, -2.1494},
    Area{"E08000008", K::LocalAuthority, "Tameside", "Tameside", kGreaterManchester, 53.4889, -2.0985},
    Area{"E08000009", K::LocalAuthority, "Trafford", "Trafford", kGreaterManchester, 53.445, -2.31},
    Area{"E08000010", K::LocalAuthority, "Wigan", "Wigan", kGreaterManchester, 53.5448, -2.6318},
};

} // namespace

std::span<const Area> allAreas() { return kAreas; }

const Area* areaByCode(std::string_view code) {
    // Asked several times for every service a load writes: a search of the codes sorted once,
    // not a walk comparing each (most are nine characters long, so each comparison reads them).
    static const auto byCode = [] {
        std::array<const Area*, kAreas.size()> sorted{};
        for (size_t i = 0; i < kAreas.size(); ++i)
            sorted[i] = &kAreas[i];
        std::sort(sorted.begin(), sorted.end(), [](const Area* a, const Area* b) { return a->code < b->code; });
        return sorted;
    }();
    auto it = std::lower_bound(byCode.begin(), byCode.end(), code,
                               [](const Area* area, std::string_view wanted) { return area->code < wanted; });
    return it != byCode.end() && (*it)->code == code ? *it : nullptr;
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

std::optional<LatLon> areaCentre(std::string_view code) {
    const Area* area = areaByCode(code);
    if (!area) return std::nullopt;
    if (area->kind == AreaKind::LocalAuthority) return LatLon{area->latitude, area->longitude};
    double lat = 0, lon = 0;
    int n = 0;
    for (auto child : descendantsOf(code)) {
        const Area* la = areaByCode(child);
        if (la->kind != AreaKind::LocalAuthority) continue;
        lat += la->latitude;
        lon += la->longitude;
        ++n;
    }
    if (n == 0) return std::nullopt;
    return LatLon{lat / n, lon / n};
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
