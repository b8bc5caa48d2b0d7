use crate::sim::SimConfig;
use crate::ui::app::{Cbs, Note, Topo};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub config: Rc<SimConfig>,
    pub topo: Rc<Topo>,
    pub cbs: Cbs,
    pub settings_note: Note,
    pub latency_note: Note,
    pub network_note: Note,
    pub new_run_note: Note,
    pub scenario_note: Note,
    pub export: Option<AttrValue>,
}

#[function_component(SettingsPanel)]
pub fn settings_panel(_p: &Props) -> Html {
    html! {}
}
