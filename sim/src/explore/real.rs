//! The Table Store nodes as an explorer model (see below).
