//! Channels: operations on the bands themselves — bitwise `boolean` and `bandbool`,
//! extracting and joining channels, removing or adding alpha. They change the band
//! count or work on raw band values rather than on colour.

pub mod bandbool;
pub mod boolean;
pub mod ensure_alpha;
pub mod extract_channel;
pub mod join_channel;
pub mod remove_alpha;
