use crate::sim::snapshot::{Snapshot, TableSnap};
use crate::ui::app::Topo;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub data: Rc<Vec<TableSnap>>,
    pub snap: Rc<Snapshot>,
    pub topo: Rc<Topo>,
}

#[function_component(DataPanel)]
pub fn data_panel(_p: &Props) -> Html {
    html! {}
}
