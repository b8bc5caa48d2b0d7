use crate::sim::DcId;
use crate::ui::app::{Cbs, Note, RingView, Topo};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub ring: Rc<RingView>,
    pub topo: Rc<Topo>,
    pub cbs: Cbs,
    pub note: Note,
    pub selected_dc: Option<DcId>,
}

#[function_component(RingPanel)]
pub fn ring_panel(_p: &Props) -> Html {
    html! {}
}
