//! The GeoJSON variant of a driver's track (`?format=geojson` or `Accept: application/geo+json`),
//! as types rather than ad-hoc JSON, so the OpenAPI document describes exactly what is sent
//! and the dashboard draws it with generated types. RFC 7946: coordinates are `[lon, lat]`.

use serde::Serialize;
use utoipa::ToSchema;

use super::history::Track;
use crate::domain::time::Millis;
use crate::tracking::history::Trip;

/// A driver's track as a GeoJSON FeatureCollection: first the track's LineString (one
/// timestamp per coordinate in its properties), then one Point per stop.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackGeoJson {
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    pub features: Vec<TrackFeature>,
}

/// The GeoJSON object type `FeatureCollection`.
#[derive(Debug, Serialize, ToSchema)]
pub enum FeatureCollectionType {
    FeatureCollection,
}

/// The GeoJSON object type `Feature`.
#[derive(Debug, Serialize, ToSchema)]
pub enum FeatureType {
    Feature,
}

/// A feature of a track: the line itself, or a stop along it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TrackFeature {
    Line(TrackLineFeature),
    Stop(TrackStopFeature),
}

/// The fixes of the track, in time order.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackLineFeature {
    #[serde(rename = "type")]
    pub kind: FeatureType,
    pub geometry: LineString,
    pub properties: TrackLineProperties,
}

/// A GeoJSON LineString (an empty track has no coordinates).
#[derive(Debug, Serialize, ToSchema)]
pub struct LineString {
    #[serde(rename = "type")]
    pub kind: LineStringType,
    /// `[lon, lat]` of each fix kept.
    pub coordinates: Vec<[f64; 2]>,
}

/// The GeoJSON geometry type `LineString`.
#[derive(Debug, Serialize, ToSchema)]
pub enum LineStringType {
    LineString,
}

/// What the JSON `Track` says about the range, and the time of each coordinate.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackLineProperties {
    pub driver_id: i64,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub from: Millis,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub to: Millis,
    /// Fixes stored in the range (before simplification).
    pub total_fixes: usize,
    pub simplified: bool,
    /// More than the per-request maximum were stored; only the oldest were read.
    pub truncated: bool,
    /// When each fix of `coordinates` was taken (RFC 3339), index for index.
    #[serde(serialize_with = "crate::domain::time::rfc3339_ms_list::serialize")]
    #[schema(value_type = Vec<chrono::DateTime<chrono::Utc>>)]
    pub timestamps: Vec<Millis>,
    pub trips: Vec<Trip>,
}

/// A stop: where the driver stayed put, and when.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackStopFeature {
    #[serde(rename = "type")]
    pub kind: FeatureType,
    pub geometry: Point,
    pub properties: TrackStopProperties,
}

/// A GeoJSON Point.
#[derive(Debug, Serialize, ToSchema)]
pub struct Point {
    #[serde(rename = "type")]
    pub kind: PointType,
    /// `[lon, lat]`.
    #[schema(min_items = 2, max_items = 2)]
    pub coordinates: [f64; 2],
}

/// The GeoJSON geometry type `Point`.
#[derive(Debug, Serialize, ToSchema)]
pub enum PointType {
    Point,
}

/// The properties of a stop feature.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackStopProperties {
    pub kind: StopKind,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub start: Millis,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub end: Millis,
    pub duration_s: i64,
}

/// Marks a stop feature.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    Stop,
}

impl From<Track> for TrackGeoJson {
    fn from(track: Track) -> Self {
        let line = TrackLineFeature {
            kind: FeatureType::Feature,
            geometry: LineString {
                kind: LineStringType::LineString,
                coordinates: track.fixes.iter().map(|f| [f.lon, f.lat]).collect(),
            },
            properties: TrackLineProperties {
                driver_id: track.driver_id,
                from: track.from,
                to: track.to,
                total_fixes: track.total_fixes,
                simplified: track.simplified,
                truncated: track.truncated,
                timestamps: track.fixes.iter().map(|f| f.timestamp).collect(),
                trips: track.trips,
            },
        };
        let stops = track.stops.into_iter().map(|s| {
            TrackFeature::Stop(TrackStopFeature {
                kind: FeatureType::Feature,
                geometry: Point {
                    kind: PointType::Point,
                    coordinates: [s.lon, s.lat],
                },
                properties: TrackStopProperties {
                    kind: StopKind::Stop,
                    start: s.start,
                    end: s.end,
                    duration_s: s.duration_s,
                },
            })
        });
        TrackGeoJson {
            kind: FeatureCollectionType::FeatureCollection,
            features: std::iter::once(TrackFeature::Line(line))
                .chain(stops)
                .collect(),
        }
    }
}
