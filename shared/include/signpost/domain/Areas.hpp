#pragma once
// The geography from DOMAIN.md: England and Wales → probation regions → PDUs → local
// authorities. Wales: one region, six PDUs, 22 local authorities (English/Welsh names, ONS codes).
// Greater Manchester: one region aligned with the GMCA area, ten boroughs (the unit GM works in).
// Boundaries are "jagged": a service may cover several areas at any level, and an area search
// matches a service that covers the area, anything inside it, or anything containing it.
#include "signpost/domain/Enums.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signpost::domain {

struct Area {
    std::string_view code;   // ONS code where one exists (E08…, W06…), else our own stable code
    AreaKind kind;
    std::string_view nameEn;
    std::string_view nameCy; // Welsh name; equal to nameEn where the name is the same in both
    std::string_view parent; // empty for the root
    // Approximate administrative centre (town hall town) of a local authority, WGS84; 0 for the
    // higher levels (use areaCentre). Good to a few km: for synthetic data and map defaults only.
    double latitude = 0;
    double longitude = 0;
};

struct LatLon {
    double latitude;
    double longitude;
};
// The centre of an area: its own for a local authority, else the mean of the local authorities
// inside it. nullopt for unknown codes.
std::optional<LatLon> areaCentre(std::string_view code);

std::span<const Area> allAreas();
const Area* areaByCode(std::string_view code);
// Resolves what a person types: a code, or an English or Welsh name, ignoring case and accents
// ("ynys mon" finds Ynys Môn). Returns nullptr when nothing matches.
const Area* findArea(std::string_view codeOrName);
// Codes of the area's parents, nearest first (LA → PDU → region → country).
std::vector<std::string_view> ancestorsOf(std::string_view code);
// Codes of everything inside the area, at every depth.
std::vector<std::string_view> descendantsOf(std::string_view code);
// The PDU a local authority belongs to (itself for a PDU), or empty (GM boroughs have none here).
std::string_view pduOf(std::string_view code);

inline constexpr std::string_view kEnglandAndWales = "K04000001";
inline constexpr std::string_view kWales = "W92000004";
inline constexpr std::string_view kGreaterManchester = "E47000001";

} // namespace signpost::domain
